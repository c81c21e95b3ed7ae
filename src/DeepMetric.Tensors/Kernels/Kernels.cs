namespace DeepMetric.Tensors;

/// <summary>Low-level dense kernels shared by the ops (no autograd here).</summary>
internal static class Kernels
{
    /// <summary>Writes the transpose of the row-major <paramref name="rows"/>×<paramref name="cols"/> matrix, in cache-sized tiles.</summary>
    public static void Transpose2D(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        const int Tile = 32;
        for (int i0 = 0; i0 < rows; i0 += Tile)
        {
            int i1 = Math.Min(i0 + Tile, rows);
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int j1 = Math.Min(j0 + Tile, cols);
                for (int i = i0; i < i1; i++)
                {
                    for (int j = j0; j < j1; j++)
                    {
                        dst[(j * rows) + i] = src[(i * cols) + j];
                    }
                }
            }
        }
    }
}

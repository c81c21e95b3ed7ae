using DeepMetric.Tensors;

namespace DeepMetric.Evaluation;

/// <summary>Receives one tile of A·Bᵀ: rows [rowStart, rowStart + rows) of A against rows [columnStart, columnStart + columns) of B, row-major.</summary>
internal delegate void TileHandler(int rowStart, int rows, int columnStart, int columns, Span<float> dots);

/// <summary>
/// The dot products of two sets of row vectors, A·Bᵀ, in bounded tiles, one GEMM each (<see cref="Gemm.Multiply"/>):
/// the shared first half of every exact search here (k nearest neighbours, range search, the self-join of
/// deduplication). The scratch is one tile, so memory does not grow with |A|·|B|.
/// </summary>
internal static class GramTiles
{
    /// <summary>Calls <paramref name="handler"/> for every tile, row blocks outer, column blocks inner and ascending.</summary>
    /// <param name="a">Rows of A, row-major, at least <paramref name="aRows"/> × <paramref name="dim"/> values.</param>
    /// <param name="aRows">Rows of A used.</param>
    /// <param name="b">Rows of B, row-major, at least <paramref name="bRows"/> × <paramref name="dim"/> values.</param>
    /// <param name="bRows">Rows of B used.</param>
    /// <param name="dim">Vector length.</param>
    /// <param name="rowBlock">Rows of A per tile (at least 1).</param>
    /// <param name="columnBlock">Rows of B per tile (at least 1).</param>
    /// <param name="upperTriangle">A is B: the column blocks of the row block starting at r start at r, so tiles wholly
    /// below the diagonal are skipped (the handler still filters j ≤ i inside the diagonal tiles).</param>
    /// <param name="handler">Gets each tile; the span is reused for the next one.</param>
    public static void ForEach(float[] a, int aRows, float[] b, int bRows, int dim, int rowBlock, int columnBlock, bool upperTriangle, TileHandler handler)
    {
        if (aRows == 0 || bRows == 0)
        {
            return;
        }
        rowBlock = Math.Clamp(rowBlock, 1, aRows);
        columnBlock = Math.Clamp(columnBlock, 1, bRows);
        var scratch = GC.AllocateUninitializedArray<float>(checked(rowBlock * columnBlock));
        for (int r0 = 0; r0 < aRows; r0 += rowBlock)
        {
            int nr = Math.Min(rowBlock, aRows - r0);
            for (int c0 = upperTriangle ? r0 : 0; c0 < bRows; c0 += columnBlock)
            {
                int nc = Math.Min(columnBlock, bRows - c0);
                var tile = scratch.AsSpan(0, nr * nc);
                Gemm.Multiply(false, true, nr, nc, dim, 1f, a.AsSpan(r0 * dim, nr * dim), dim, b.AsSpan(c0 * dim, nc * dim), dim, 0f, tile, nc);
                handler(r0, nr, c0, nc, tile);
            }
        }
    }
}

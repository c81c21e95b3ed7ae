namespace DeepMetric.Analysis;

/// <summary>Sparse affinity matrix in compressed-row form: row i's entries are <c>[RowStart[i], RowStart[i + 1])</c>.</summary>
internal sealed record SparseAffinities(int[] RowStart, int[] Columns, float[] Values)
{
    public int Rows => RowStart.Length - 1;
}

namespace DeepMetric.Data;

/// <summary>The content of an IDX images file: <paramref name="Count"/> images of <paramref name="Rows"/>×<paramref name="Columns"/> bytes, row-major.</summary>
internal sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);

namespace DeepMetric.Internal;

/// <summary>The Paeth predictor of the PNG specification (filter type 4), shared by our PNG encoder and decoder.</summary>
internal static class PngPaeth
{
    /// <summary>Of left <paramref name="a"/>, up <paramref name="b"/> and up-left <paramref name="c"/>, the one closest to a + b − c (ties in that order).</summary>
    public static int Predict(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}

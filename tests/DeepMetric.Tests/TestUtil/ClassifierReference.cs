namespace DeepMetric.Tests.TestUtil;

/// <summary>Double-precision references for the classifier and proxy losses.</summary>
internal static class ClassifierReference
{
    /// <summary>Cosines between normalised rows of x [n, d] and w [c, d].</summary>
    public static double[,] Cosines(float[] x, int n, float[] w, int c, int d)
    {
        var xa = Reference.Rows(x, n, d).Select(Reference.Normalize).ToArray();
        var wa = Reference.Rows(w, c, d).Select(Reference.Normalize).ToArray();
        var r = new double[n, c];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < c; j++)
            {
                r[i, j] = Reference.Dot(xa[i], wa[j]);
            }
        }
        return r;
    }

    /// <summary>−log softmax(z)[y] in double.</summary>
    public static double CrossEntropy(double[] z, int y)
    {
        double m = z.Max();
        double s = 0;
        foreach (double v in z)
        {
            s += Math.Exp(v - m);
        }
        return m + Math.Log(s) - z[y];
    }

    /// <summary>Mean over rows of −log softmax(s·logits') where the target entry of row i is replaced by psi(cos).</summary>
    public static double MarginSoftmax(double[,] cos, int[] labels, double scale, Func<double, double> psi)
    {
        int n = cos.GetLength(0), c = cos.GetLength(1);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var z = new double[c];
            for (int j = 0; j < c; j++)
            {
                z[j] = scale * (j == labels[i] ? psi(cos[i, j]) : cos[i, j]);
            }
            total += CrossEntropy(z, labels[i]);
        }
        return total / n;
    }
}

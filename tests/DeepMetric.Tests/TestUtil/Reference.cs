namespace DeepMetric.Tests.TestUtil;

/// <summary>Plain double-precision reference computations for the tests (independent of the library).</summary>
internal static class Reference
{
    public static double[][] Rows(float[] data, int n, int d)
    {
        var r = new double[n][];
        for (int i = 0; i < n; i++)
        {
            r[i] = new double[d];
            for (int k = 0; k < d; k++)
            {
                r[i][k] = data[(i * d) + k];
            }
        }
        return r;
    }

    public static double[] Normalize(double[] x)
    {
        double s = 0;
        foreach (double v in x)
        {
            s += v * v;
        }
        double norm = Math.Max(Math.Sqrt(s), 1e-12);
        return x.Select(v => v / norm).ToArray();
    }

    public static double Lp(double[] a, double[] b, double p)
    {
        if (double.IsPositiveInfinity(p))
        {
            return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        }
        double s = 0;
        for (int k = 0; k < a.Length; k++)
        {
            s += Math.Pow(Math.Abs(a[k] - b[k]), p);
        }
        return Math.Pow(s, 1 / p);
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++)
        {
            s += a[k] * b[k];
        }
        return s;
    }

    /// <summary>Euclidean distances of normalised rows, N × M.</summary>
    public static double[,] NormalizedEuclidean(float[] q, int n, float[] r, int m, int d)
    {
        var qa = Rows(q, n, d).Select(Normalize).ToArray();
        var ra = Rows(r, m, d).Select(Normalize).ToArray();
        var res = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                res[i, j] = Lp(qa[i], ra[j], 2);
            }
        }
        return res;
    }

    public static double Relu(double x) => Math.Max(0, x);

    /// <summary>Mean of the strictly positive values (0 when none), as AvgNonZeroReducer.</summary>
    public static double AvgNonZero(IEnumerable<double> values)
    {
        var pos = values.Where(v => v > 0).ToArray();
        return pos.Length == 0 ? 0 : pos.Average();
    }

    /// <summary>Cosine similarities of rows, N × M.</summary>
    public static double[,] Cosine(float[] q, int n, float[] r, int m, int d)
    {
        var qa = Rows(q, n, d).Select(Normalize).ToArray();
        var ra = Rows(r, m, d).Select(Normalize).ToArray();
        var res = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                res[i, j] = Dot(qa[i], ra[j]);
            }
        }
        return res;
    }

    /// <summary>log(1 + Σ eˣ), stabilised.</summary>
    public static double Log1PSumExp(IEnumerable<double> xs)
    {
        var a = xs.ToArray();
        double max = Math.Max(0, a.Length == 0 ? 0 : a.Max());
        double s = Math.Exp(-max);
        foreach (double x in a)
        {
            s += Math.Exp(x - max);
        }
        return max + Math.Log(s);
    }
}

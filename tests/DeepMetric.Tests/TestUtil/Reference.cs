using DeepMetric.Data.Images;
using DeepMetric.Tensors.Nn;

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

    /// <summary>Pairwise dot products (cosine similarities when <paramref name="normalize"/>) of rows, N × M.</summary>
    public static double[,] Similarities(float[] q, int n, float[] r, int m, int d, bool normalize) =>
        Pairwise(q, n, r, m, d, normalize, Dot);

    /// <summary>Pairwise Euclidean distances of rows (normalised first when asked), N × M.</summary>
    public static double[,] Euclidean(float[] q, int n, float[] r, int m, int d, bool normalize) =>
        Pairwise(q, n, r, m, d, normalize, (x, y) => Lp(x, y, 2));

    // f of every (query row, reference row) pair, rows normalised first when asked.
    private static double[,] Pairwise(float[] q, int n, float[] r, int m, int d, bool normalize, Func<double[], double[], double> f)
    {
        var qa = Rows(q, n, d);
        var ra = Rows(r, m, d);
        if (normalize)
        {
            qa = qa.Select(Normalize).ToArray();
            ra = ra.Select(Normalize).ToArray();
        }
        var res = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                res[i, j] = f(qa[i], ra[j]);
            }
        }
        return res;
    }

    /// <summary>log Σ exp(x) in double, −∞ for an empty list.</summary>
    public static double LogSumExp(IEnumerable<double> xs)
    {
        var a = xs.ToArray();
        if (a.Length == 0)
        {
            return double.NegativeInfinity;
        }
        double mx = a.Max();
        return mx + Math.Log(a.Sum(v => Math.Exp(v - mx)));
    }

    /// <summary>log(1 + e^x) without overflow.</summary>
    public static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    /// <summary>
    /// NCA values −log(Σ_{same class} e^{z_ij} / Σ_{candidates} e^{z_ij}) with plain exponentials, for anchors with a
    /// same-class candidate; <paramref name="excluded"/>(i, j) removes candidates (e.g. self).
    /// </summary>
    public static List<double> NcaValues(double[,] z, int[] labels, int[] refLabels, Func<int, int, bool> excluded)
    {
        List<double> values = [];
        for (int i = 0; i < labels.Length; i++)
        {
            double num = 0, den = 0;
            bool any = false;
            for (int j = 0; j < refLabels.Length; j++)
            {
                if (excluded(i, j))
                {
                    continue;
                }
                double e = Math.Exp(z[i, j]);
                den += e;
                if (refLabels[j] == labels[i])
                {
                    num += e;
                    any = true;
                }
            }
            if (any)
            {
                values.Add(-Math.Log(num / den));
            }
        }
        return values;
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

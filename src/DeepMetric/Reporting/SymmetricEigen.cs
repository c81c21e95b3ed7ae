namespace DeepMetric.Reporting;

/// <summary>Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations (Golub &amp; Van Loan, §8.5).</summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Decomposes the symmetric row-major <paramref name="a"/> (n×n, destroyed). Returns eigenvalues descending and
    /// the matching unit eigenvectors as rows of an n×n row-major array.
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(double[] a, int n)
    {
        var v = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
        }
        double total = 0;
        for (int i = 0; i < a.Length; i++)
        {
            total += a[i] * a[i];
        }
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    off += a[(p * n) + q] * a[(p * n) + q];
                }
            }
            if (off <= 1e-30 * total || off == 0)
            {
                break;
            }
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[(p * n) + q];
                    if (apq == 0)
                    {
                        continue;
                    }
                    // Rotation angle that zeroes a[p,q]: t = tan φ is the smaller root of t² + 2θt − 1 = 0.
                    double theta = (a[(q * n) + q] - a[(p * n) + p]) / (2 * apq);
                    double t = (theta >= 0 ? 1 : -1) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    double c = 1 / Math.Sqrt((t * t) + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[(k * n) + p], akq = a[(k * n) + q];
                        a[(k * n) + p] = (c * akp) - (s * akq);
                        a[(k * n) + q] = (s * akp) + (c * akq);
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[(p * n) + k], aqk = a[(q * n) + k];
                        a[(p * n) + k] = (c * apk) - (s * aqk);
                        a[(q * n) + k] = (s * apk) + (c * aqk);
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[(k * n) + p], vkq = v[(k * n) + q];
                        v[(k * n) + p] = (c * vkp) - (s * vkq);
                        v[(k * n) + q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }
        var order = new int[n];
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            values[i] = a[(i * n) + i];
        }
        // Descending by eigenvalue; ties keep index order so the result is deterministic.
        Array.Sort(order, (x, y) => values[x] != values[y] ? values[y].CompareTo(values[x]) : x.CompareTo(y));
        var sortedValues = new double[n];
        var vectors = new double[n * n];
        for (int r = 0; r < n; r++)
        {
            int col = order[r];
            sortedValues[r] = values[col];
            for (int k = 0; k < n; k++)
            {
                vectors[(r * n) + k] = v[(k * n) + col];
            }
        }
        return (sortedValues, vectors);
    }
}

using System.Numerics.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Analysis;

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

    /// <summary>
    /// The top <paramref name="k"/> eigenpairs of the symmetric row-major <paramref name="a"/> (n×n, kept) by orthogonal
    /// iteration on k + 8 vectors (Golub &amp; Van Loan, §8.2.4) followed by a Rayleigh–Ritz step. The start block is
    /// drawn from a fixed seed, so results are deterministic. Returns values descending and unit vectors as rows.
    /// </summary>
    public static (double[] Values, double[] Vectors) TopSubspace(double[] a, int n, int k, int maxIterations = 500)
    {
        int p = Math.Min(n, k + 8);
        var rng = new Prng(0x5EED_9CA0UL);
        var q = new double[p * n];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = rng.NextNormal();
        }
        Orthonormalise(q, p, n, rng);
        var z = new double[p * n];
        var ritz = new double[p];
        double scale = 0;
        for (int i = 0; i < n; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[(i * n) + i]));
        }
        for (int iter = 0; iter < maxIterations; iter++)
        {
            double change = 0;
            for (int j = 0; j < p; j++)
            {
                ReadOnlySpan<double> qj = q.AsSpan(j * n, n);
                Span<double> zj = z.AsSpan(j * n, n);
                for (int r = 0; r < n; r++)
                {
                    zj[r] = TensorPrimitives.Dot(a.AsSpan(r * n, n), qj);
                }
                double value = TensorPrimitives.Dot(qj, zj);
                if (j < k)
                {
                    change = Math.Max(change, Math.Abs(value - ritz[j]));
                }
                ritz[j] = value;
            }
            (q, z) = (z, q);
            Orthonormalise(q, p, n, rng);
            if (iter > 2 && change <= 1e-13 * Math.Max(scale, 1e-300))
            {
                break;
            }
        }

        // Rayleigh–Ritz: diagonalise QAQᵀ (p×p) and rotate the block by its eigenvectors.
        var t = new double[p * p];
        for (int j = 0; j < p; j++)
        {
            ReadOnlySpan<double> qj = q.AsSpan(j * n, n);
            Span<double> zj = z.AsSpan(j * n, n);
            for (int r = 0; r < n; r++)
            {
                zj[r] = TensorPrimitives.Dot(a.AsSpan(r * n, n), qj);
            }
        }
        for (int i = 0; i < p; i++)
        {
            for (int j = 0; j < p; j++)
            {
                t[(i * p) + j] = 0.5 * (TensorPrimitives.Dot(q.AsSpan(i * n, n), z.AsSpan(j * n, n))
                    + TensorPrimitives.Dot(q.AsSpan(j * n, n), z.AsSpan(i * n, n)));
            }
        }
        (double[] values, double[] w) = Decompose(t, p);
        var vectors = new double[k * n];
        for (int c = 0; c < k; c++)
        {
            Span<double> v = vectors.AsSpan(c * n, n);
            for (int j = 0; j < p; j++)
            {
                TensorPrimitives.MultiplyAdd(q.AsSpan(j * n, n), w[(c * p) + j], v, v);
            }
            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
        }
        return (values.AsSpan(0, k).ToArray(), vectors);
    }

    // Modified Gram–Schmidt, applied twice for orthogonality to working precision; a vector that collapses
    // (rank-deficient matrix) is replaced by a fresh random one.
    private static void Orthonormalise(double[] q, int p, int n, Prng rng)
    {
        for (int j = 0; j < p; j++)
        {
            Span<double> v = q.AsSpan(j * n, n);
            for (int attempt = 0; ; attempt++)
            {
                double before = TensorPrimitives.Norm(v);
                for (int pass = 0; pass < 2; pass++)
                {
                    for (int i = 0; i < j; i++)
                    {
                        ReadOnlySpan<double> u = q.AsSpan(i * n, n);
                        TensorPrimitives.MultiplyAdd(u, -TensorPrimitives.Dot(u, v), v, v);
                    }
                }
                double norm = TensorPrimitives.Norm(v);
                if (norm > 1e-10 * before && norm > 1e-300)
                {
                    TensorPrimitives.Divide(v, norm, v);
                    break;
                }
                if (attempt > 10)
                {
                    throw new InvalidOperationException("Could not build an orthonormal basis.");
                }
                for (int r = 0; r < n; r++)
                {
                    v[r] = rng.NextNormal();
                }
            }
        }
    }
}

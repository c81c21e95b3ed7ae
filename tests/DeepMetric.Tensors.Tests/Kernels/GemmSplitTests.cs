using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// Products large enough for <see cref="Gemm"/> to split them into row or column blocks over worker threads, against a
/// double-precision loop and bit for bit against the unsplit product, on the backend in use (the suite runs once with
/// OpenBLAS and once with DEEPMETRIC_BLAS=managed; the global backend is not switched here, other tests run alongside).
/// </summary>
public sealed class GemmSplitTests
{
    // m, n, k: taller than wide (row blocks), wider than tall (column blocks), odd sizes; all above the split threshold.
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 301, 70, 127 },
        { 70, 301, 127 },
        { 129, 129, 129 },
    };

    private static float[] RandomArray(Prng rng, int size)
    {
        var x = new float[size];
        for (int i = 0; i < size; i++)
        {
            x[i] = (2f * rng.NextFloat()) - 1f;
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SplitProductsMatchDoublePrecision(int m, int n, int k)
    {
        var rng = new Prng(11);
        const int Pad = 3;
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                int lda = (ta ? m : k) + Pad, ldb = (tb ? k : n) + Pad, ldc = n + Pad;
                var a = RandomArray(rng, (ta ? k : m) * lda);
                var b = RandomArray(rng, (tb ? n : k) * ldb);
                var c = RandomArray(rng, m * ldc);
                var before = (float[])c.Clone();
                Gemm.Multiply(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c, ldc);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < ldc; j++)
                    {
                        if (j >= n)
                        {
                            Assert.Equal(before[(i * ldc) + j], c[(i * ldc) + j]); // padding untouched
                            continue;
                        }
                        double s = 0;
                        for (int p = 0; p < k; p++)
                        {
                            s += (double)(ta ? a[(p * lda) + i] : a[(i * lda) + p]) * (tb ? b[(j * ldb) + p] : b[(p * ldb) + j]);
                        }
                        double expected = (0.75 * s) + (0.5 * before[(i * ldc) + j]);
                        Assert.True(Math.Abs(c[(i * ldc) + j] - expected) <= 1e-4 * (1 + Math.Abs(expected)),
                            $"{Gemm.Backend} ta={ta} tb={tb} ({i},{j}): {c[(i * ldc) + j]} vs {expected}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SplitEqualsUnsplitBitForBit(int m, int n, int k)
    {
        var rng = new Prng(12);
        var a = RandomArray(rng, m * k);
        var b = RandomArray(rng, k * n);
        var split = new float[m * n];
        var whole = new float[m * n];
        bool parallel = KernelThreads.Parallel;
        try
        {
            Gemm.Multiply(false, true, m, n, k, 1f, a, k, b, k, 0f, split, n);
            KernelThreads.Parallel = false;
            Gemm.Multiply(false, true, m, n, k, 1f, a, k, b, k, 0f, whole, n);
        }
        finally
        {
            KernelThreads.Parallel = parallel;
        }
        Assert.Equal(whole, split);
    }
}

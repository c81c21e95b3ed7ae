using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

public sealed class ManagedGemmTests
{
    // Both micro-kernels are exercised wherever the hardware allows (Auto picks one of them).
    private static readonly ManagedGemm.Kernel[] s_kernels = System.Runtime.Intrinsics.X86.Avx512F.IsSupported
        ? [ManagedGemm.Kernel.Avx512, ManagedGemm.Kernel.Portable]
        : [ManagedGemm.Kernel.Portable];

    /// <summary>Reference C = α·op(A)·op(B) + β·C in double, with β = 0 ignoring C entirely.</summary>
    private static double[] Reference(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[(p * lda) + i] : a[(i * lda) + p];
                    double bv = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    s += av * bv;
                }
                double prior = beta == 0 ? 0 : beta * (double)c[(i * ldc) + j];
                r[(i * n) + j] = (alpha * s) + prior;
            }
        }
        return r;
    }

    private static float[] RandomArray(Prng rng, int size)
    {
        var x = new float[size];
        for (int i = 0; i < size; i++)
        {
            x[i] = (2f * rng.NextFloat()) - 1f;
        }
        return x;
    }

    private static void RunCase(Prng rng, bool transA, bool transB, int m, int n, int k, float alpha, float beta, int pad, ManagedGemm.Kernel kernel, bool nanC = false)
    {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = RandomArray(rng, aRows * lda);
        var b = RandomArray(rng, bRows * ldb);
        var c = RandomArray(rng, m * ldc);
        if (nanC)
        {
            c.AsSpan().Fill(float.NaN);
        }
        var expected = Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        var before = (float[])c.Clone();
        ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, kernel);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                float got = c[(i * ldc) + j];
                if (j >= n)
                {
                    // Padding between rows must be left untouched.
                    if (!before[(i * ldc) + j].Equals(got))
                    {
                        Assert.Fail($"padding at ({i},{j}) changed");
                    }
                    continue;
                }
                double e = expected[(i * n) + j];
                double tol = 1e-5 * (k + 1) * (Math.Abs(alpha) + Math.Abs(beta) + 1);
                if (!(Math.Abs(e - got) <= tol))
                {
                    Assert.Fail($"{kernel} tA={transA} tB={transB} m={m} n={n} k={k} α={alpha} β={beta} pad={pad}: C[{i},{j}] expected {e:G9}, got {got:G9}");
                }
            }
        }
    }

    public static TheoryData<bool, bool> TransposeCombos => new()
    {
        { false, false }, { false, true }, { true, false }, { true, true },
    };

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void SweepsSizesAgainstDoubleLoop(bool transA, bool transB)
    {
        var rng = new Prng(7);
        int[] sizes = [1, 2, 3, 5, 6, 7, 13, 16, 17, 31, 32, 33, 47, 64, 71];
        foreach (var kernel in s_kernels)
        {
            foreach (int m in sizes)
            {
                foreach (int n in sizes)
                {
                    // k sweeps differently per (m, n) to keep the case count modest while covering tails.
                    int k = sizes[((m * 7) + n) % sizes.Length];
                    RunCase(rng, transA, transB, m, n, k, 1f, 0f, pad: 0, kernel);
                }
            }
            // Every length 1..70 on each axis in turn, so every row, column and k tail is covered.
            for (int s = 1; s <= 70; s++)
            {
                RunCase(rng, transA, transB, s, 19, 23, 1f, 0f, pad: 0, kernel);
                RunCase(rng, transA, transB, 9, s, 23, 1f, 0f, pad: 0, kernel);
                RunCase(rng, transA, transB, 9, 19, s, 1f, 0f, pad: 0, kernel);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void AlphaBetaAndLeadingDimensions(bool transA, bool transB)
    {
        var rng = new Prng(11);
        (float Alpha, float Beta)[] coeffs = [(1f, 1f), (0.5f, -2f), (-1.5f, 0.25f), (2f, 0f), (0f, 0.5f), (0f, 0f), (1f, 1f)];
        foreach (var kernel in s_kernels)
        {
            foreach (var (alpha, beta) in coeffs)
            {
                foreach (int pad in new[] { 0, 3, 17 })
                {
                    RunCase(rng, transA, transB, 13, 41, 29, alpha, beta, pad, kernel);
                    RunCase(rng, transA, transB, 6, 32, 1, alpha, beta, pad, kernel);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void BetaZeroOverwritesNaN(bool transA, bool transB)
    {
        var rng = new Prng(13);
        foreach (var kernel in s_kernels)
        {
            RunCase(rng, transA, transB, 19, 35, 11, 1.5f, 0f, pad: 2, kernel, nanC: true);
            RunCase(rng, transA, transB, 12, 64, 300, 1f, 0f, pad: 0, kernel, nanC: true);
            RunCase(rng, transA, transB, 5, 9, 0, 1f, 0f, pad: 1, kernel, nanC: true);
            RunCase(rng, transA, transB, 5, 9, 4, 0f, 0f, pad: 1, kernel, nanC: true);
        }
    }

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void CrossesCacheBlockBoundaries(bool transA, bool transB)
    {
        // k > KC (256), m > MC (144) and n > NC (2048) each force a second block with β applied only once.
        var rng = new Prng(17);
        RunCase(rng, transA, transB, 150, 40, 530, 0.75f, -0.5f, pad: 1, ManagedGemm.Kernel.Auto);
        RunCase(rng, transA, transB, 3, 2100, 5, 1f, 2f, pad: 0, ManagedGemm.Kernel.Auto);
    }

    [Fact]
    public void DegenerateSizesDoNothingOrScale()
    {
        var c = new float[] { 1, 2, 3, 4 };
        ManagedGemm.Multiply(false, false, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, c, 2);
        ManagedGemm.Multiply(false, false, 2, 0, 3, 1f, new float[6], 3, [], 1, 0f, c, 2);
        Assertions.AllClose([1f, 2, 3, 4], c);
        ManagedGemm.Multiply(false, false, 2, 2, 0, 1f, [], 1, [], 2, 3f, c, 2);
        Assertions.AllClose([3f, 6, 9, 12], c);
    }

    [Fact]
    public void AlphaZeroDoesNotPropagateInfinityFromInputs()
    {
        var a = new float[] { float.PositiveInfinity, 1f, 1f, 1f };
        var b = new float[] { 1f, 1f, 1f, 1f };
        var c = new float[] { 1f, 2f, 3f, 4f };
        ManagedGemm.Multiply(false, false, 2, 2, 2, 0f, a, 2, b, 2, 2f, c, 2);
        Assertions.AllClose([2f, 4, 6, 8], c);
    }

    [Fact]
    public void RepeatedCallsReusePackingBuffers()
    {
        var rng = new Prng(19);
        var a = RandomArray(rng, 64 * 64);
        var b = RandomArray(rng, 64 * 64);
        var c = new float[64 * 64];
        ManagedGemm.Multiply(false, false, 64, 64, 64, 1f, a, 64, b, 64, 0f, c, 64);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            ManagedGemm.Multiply(false, true, 64, 64, 64, 1f, a, 64, b, 64, 0f, c, 64);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"10 calls allocated {allocated} bytes.");
    }
}

using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class LinalgTests
{
    /// <summary>A random n×n matrix in [−1, 1] with <paramref name="boost"/> added to the diagonal (diagonally dominant when boost ≥ n).</summary>
    private static Tensor DiagonallyDominant(ulong seed, int n, float boost)
    {
        var a = GradCheck.Random(seed, [n, n]);
        var s = a.Span;
        for (int i = 0; i < n; i++)
        {
            s[(i * n) + i] += (i % 2 == 0 ? 1 : -1) * boost;
        }
        return a;
    }

    /// <summary>A·B in double for row-major [n, k] and [k, m].</summary>
    private static double[] Product(float[] a, float[] b, int n, int k, int m)
    {
        var r = new double[n * m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (double)a[(i * k) + p] * b[(p * m) + j];
                }
                r[(i * m) + j] = s;
            }
        }
        return r;
    }

    [Fact]
    public void InverseTwoByTwoByHand()
    {
        // [[4, 7], [2, 6]]⁻¹ = (1/10)·[[6, −7], [−2, 4]].
        var a = Tensor.FromArray([4, 7, 2, 6], 2, 2);
        Assertions.AllClose([0.6f, -0.7f, -0.2f, 0.4f], Ops.Inverse(a).ToArray());
    }

    [Fact]
    public void InverseThreeByThreeNeedsPivoting()
    {
        // The (0, 0) entry is zero, so elimination must swap rows; inverse worked by hand (A·A⁻¹ = I checked entry by entry).
        var a = Tensor.FromArray([0, 1, 2, 1, 0, 3, 4, -3, 8], 3, 3);
        Assertions.AllClose([-4.5f, 7f, -1.5f, -2f, 4f, -1f, 1.5f, -2f, 0.5f], Ops.Inverse(a).ToArray(), absTol: 1e-5);
    }

    [Fact]
    public void InverseOneByOne()
    {
        Assertions.AllClose([0.25f], Ops.Inverse(Tensor.FromArray([4], 1, 1)).ToArray());
        Assertions.AllClose([-2f], Ops.Inverse(Tensor.FromArray([-0.5f], 1, 1)).ToArray());
    }

    [Theory]
    [InlineData(2, 11UL)]
    [InlineData(5, 12UL)]
    [InlineData(16, 13UL)]
    [InlineData(40, 14UL)]
    public void InverseTimesMatrixIsIdentity(int n, ulong seed)
    {
        // Well conditioned but not symmetric, with both signs on the diagonal.
        var a = DiagonallyDominant(seed, n, n);
        var inv = Ops.Inverse(a);
        Assert.Equal([n, n], inv.Shape);
        var left = Product(a.ToArray(), inv.ToArray(), n, n, n);
        var right = Product(inv.ToArray(), a.ToArray(), n, n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = i == j ? 1 : 0;
                Assertions.Close(expected, left[(i * n) + j], absTol: 1e-5, what: $"(A·A⁻¹)[{i},{j}]");
                Assertions.Close(expected, right[(i * n) + j], absTol: 1e-5, what: $"(A⁻¹·A)[{i},{j}]");
            }
        }
    }

    [Fact]
    public void InverseOfGeneralMatrixWithPivoting()
    {
        // Not diagonally dominant: partial pivoting has to choose rows.
        int n = 6;
        var a = GradCheck.Random(21, [n, n]);
        var inv = Ops.Inverse(a);
        var left = Product(a.ToArray(), inv.ToArray(), n, n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assertions.Close(i == j ? 1 : 0, left[(i * n) + j], absTol: 1e-4, what: $"(A·A⁻¹)[{i},{j}]");
            }
        }
    }

    [Fact]
    public void InverseGradCheck()
    {
        var a = DiagonallyDominant(31, 4, 4);
        GradCheck.Check(x => Ops.Inverse(x[0]), [a]);
    }

    [Fact]
    public void InverseGradCheckComposed()
    {
        // The gradient flows through a product with the inverse (Inverse used inside a larger graph).
        var a = DiagonallyDominant(32, 3, 3);
        var b = GradCheck.Random(33, [3, 2]);
        GradCheck.Check(x => Ops.Matmul(Ops.Inverse(x[0]), x[1]), [a, b]);
    }

    [Fact]
    public void SolveTwoByTwoByHand()
    {
        // 2x + y = 3, x + 3y = 5 → x = 0.8, y = 1.4; second column 2x + y = 1, x + 3y = 0 → x = 0.6, y = −0.2.
        var a = Tensor.FromArray([2, 1, 1, 3], 2, 2);
        var b = Tensor.FromArray([3, 1, 5, 0], 2, 2);
        Assertions.AllClose([0.8f, 0.6f, 1.4f, -0.2f], Ops.Solve(a, b).ToArray());
    }

    [Theory]
    [InlineData(1, 1, 41UL)]
    [InlineData(4, 3, 42UL)]
    [InlineData(12, 5, 43UL)]
    public void SolveSatisfiesSystem(int n, int m, ulong seed)
    {
        var a = DiagonallyDominant(seed, n, n);
        var b = GradCheck.Random(seed + 100, [n, m]);
        var x = Ops.Solve(a, b);
        Assert.Equal([n, m], x.Shape);
        Assertions.AllClose(b.ToArray().Select(v => (double)v).ToArray(), Product(a.ToArray(), x.ToArray(), n, n, m).Select(v => (float)v).ToArray(), absTol: 1e-5);
    }

    [Fact]
    public void SolveGradCheck()
    {
        var a = DiagonallyDominant(51, 4, 4);
        var b = GradCheck.Random(52, [4, 3]);
        GradCheck.Check(x => Ops.Solve(x[0], x[1]), [a, b]);
    }

    [Fact]
    public void SolveGradCheckOnlyA()
    {
        var a = DiagonallyDominant(53, 3, 3);
        var b = GradCheck.Random(54, [3, 2]);
        GradCheck.Check(x => Ops.Solve(x[0], b), [a]);
        GradCheck.Check(x => Ops.Solve(a.Detach(), x[0]), [b]);
    }

    [Fact]
    public void SingularMatrixNamesThePivot()
    {
        // Row 2 = 2 × row 1: the second pivot vanishes.
        var a = Tensor.FromArray([1, 2, 2, 4], 2, 2);
        var ex = Assert.Throws<ArgumentException>(() => Ops.Inverse(a));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("singular", ex.Message, StringComparison.Ordinal);
        Assert.Contains("pivot 1", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<ArgumentException>(() => Ops.Solve(a, Tensor.Ones(2, 1)));
        Assert.Contains("pivot 1", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroAndRankDeficientMatricesAreRejected()
    {
        var zero = Tensor.Zeros(3, 3);
        Assert.Contains("pivot 0", Assert.Throws<ArgumentException>(() => Ops.Inverse(zero)).Message, StringComparison.Ordinal);
        // Rank 2: the third row is the sum of the first two (exact in float), so the last pivot is (numerically) zero.
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6, 5, 7, 9], 3, 3);
        Assert.Contains("pivot 2", Assert.Throws<ArgumentException>(() => Ops.Inverse(a)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadShapesAndValuesAreRejected()
    {
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Ops.Inverse(Tensor.Zeros(2, 3))).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Ops.Inverse(Tensor.Zeros(4))).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Ops.Inverse(Tensor.Zeros(0, 0))).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Ops.Inverse(Tensor.FromArray([1, float.NaN, 0, 1], 2, 2))).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Ops.Solve(Tensor.Zeros(2, 3), Tensor.Zeros(2, 1))).ParamName);
        var eye = Tensor.FromArray([1, 0, 0, 1], 2, 2);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Ops.Solve(eye, Tensor.Zeros(3, 1))).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Ops.Solve(eye, Tensor.Zeros(2))).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Ops.Solve(eye, Tensor.FromArray([1, float.PositiveInfinity], 2, 1))).ParamName);
        Assert.Throws<ArgumentNullException>(() => Ops.Inverse(null!));
    }
}

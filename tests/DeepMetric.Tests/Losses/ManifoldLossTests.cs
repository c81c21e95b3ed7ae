using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class ManifoldLossTests
{
    /// <summary>The double-precision reference: both terms (per embedding) and the violations they sum over.</summary>
    private sealed record ManifoldReference(double[] Intrinsic, double[] Context, double[,] IntViolation, double[,] CtxViolation)
    {
        public double Loss(double lambdaC) => Intrinsic.Average() + (lambdaC * Context.Average());
    }

    /// <summary>The paper's formulas (as PyTorch Metric Learning documents them) written out in plain double loops.</summary>
    private static ManifoldReference Compute(float[] x, int count, float[] proxies, int k, int d, int[] labels, double alpha = 0.8, double margin = 5e-4)
    {
        int n = count + k;
        var nodes = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var v = new double[d];
            for (int j = 0; j < d; j++)
            {
                v[j] = i < count ? x[(i * d) + j] : proxies[((i - count) * d) + j];
            }
            nodes[i] = Reference.Normalize(v);
        }
        var s = new double[n, n];
        var degree = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                s[i, j] = i == j ? 0 : Math.Exp(Math.Max(Reference.Dot(nodes[i], nodes[j]), 0) / 0.5);
                degree[i] += s[i, j];
            }
        }
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sBar = s[i, j] / Math.Sqrt(degree[i] * degree[j]);
                m[i, j] = (i == j ? 1 : 0) - (alpha * sBar);
            }
        }
        var inv = InvertGaussJordan(m);
        var f = new double[n][];
        for (int i = 0; i < n; i++)
        {
            f[i] = new double[n];
            for (int j = 0; j < n; j++)
            {
                f[i][j] = (1 - alpha) * inv[i, j];
            }
        }
        var intrinsic = new double[count];
        var context = new double[count];
        var intV = new double[count, k];
        var ctxV = new double[count, k];
        for (int i = 0; i < count; i++)
        {
            int c = labels[i];
            double sumInt = 0, sumCtx = 0;
            double ownCos = Reference.Dot(Reference.Normalize(f[i]), Reference.Normalize(f[count + c]));
            for (int p = 0; p < k; p++)
            {
                intV[i, p] = f[i][count + p] - f[i][count + c] + margin;
                ctxV[i, p] = Reference.Dot(Reference.Normalize(f[i]), Reference.Normalize(f[count + p])) - ownCos + margin;
                if (p == c)
                {
                    continue;
                }
                // Only violating proxies enter the sums.
                sumInt += intV[i, p] > 0 ? Math.Exp(intV[i, p]) : 0;
                sumCtx += ctxV[i, p] > 0 ? Math.Exp(ctxV[i, p]) : 0;
            }
            intrinsic[i] = Math.Log(1 + sumInt);
            context[i] = Math.Log(1 + sumCtx);
        }
        return new ManifoldReference(intrinsic, context, intV, ctxV);
    }

    /// <summary>The test's own matrix inverse: Gauss–Jordan on [M | I] with partial pivoting, in double.</summary>
    private static double[,] InvertGaussJordan(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        var a = new double[n, 2 * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                a[i, j] = matrix[i, j];
            }
            a[i, n + i] = 1;
        }
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
            {
                if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = r;
                }
            }
            Assert.True(Math.Abs(a[pivot, col]) > 1e-12, "reference matrix is singular");
            for (int j = 0; j < 2 * n; j++)
            {
                (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            }
            double p = a[col, col];
            for (int j = 0; j < 2 * n; j++)
            {
                a[col, j] /= p;
            }
            for (int r = 0; r < n; r++)
            {
                if (r == col)
                {
                    continue;
                }
                double factor = a[r, col];
                for (int j = 0; j < 2 * n; j++)
                {
                    a[r, j] -= factor * a[col, j];
                }
            }
        }
        var inv = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                inv[i, j] = a[i, n + j];
            }
        }
        return inv;
    }

    private static ManifoldReference Compute(ManifoldLoss loss, Tensor x, int[] labels) =>
        Compute(x.ToArray(), x.Dim(0), loss.Proxies.ToArray(), loss.NumProxies, x.Dim(1), labels, loss.Alpha, loss.Margin);

    /// <summary>Smallest |violation| over non-own proxies: how far the batch is from the loss's jumps.</summary>
    private static double DistanceToJump(ManifoldReference r, int[] labels)
    {
        double best = double.PositiveInfinity;
        for (int i = 0; i < labels.Length; i++)
        {
            for (int p = 0; p < r.IntViolation.GetLength(1); p++)
            {
                if (p != labels[i])
                {
                    best = Math.Min(best, Math.Min(Math.Abs(r.IntViolation[i, p]), Math.Abs(r.CtxViolation[i, p])));
                }
            }
        }
        return best;
    }

    public static TheoryData<int[], int, int, ulong, float> Cases => new()
    {
        { new[] { 0, 1, 2, 0, 1, 2 }, 3, 4, 1UL, 1f },
        { new[] { 0, 0, 0, 0, 1, 2, 3 }, 4, 3, 2UL, 1f },   // imbalanced, singleton assignments
        { new[] { 1, 1, 3, 0, 4 }, 5, 5, 3UL, 1f },          // one proxy (2) with no embedding
        { new[] { 2, 0, 1, 1 }, 3, 2, 4UL, 3f },              // unnormalised, large embeddings
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Value_MatchesDoubleReference(int[] labels, int k, int d, ulong seed, float scale)
    {
        var loss = new ManifoldLoss(k, d, seed: seed);
        var x = Ops.Mul(Fixtures.RandomEmbeddings(seed + 10, labels.Length, d, requiresGrad: false), scale);
        var r = Compute(loss, x, labels);
        Assert.Equal(r.Loss(1.0), loss.Compute(x, labels).Item(), 5);
        var terms = loss.ComputeTerms(x, labels);
        Assert.Equal(["intrinsic", "context"], terms.Select(t => t.Name));
        for (int i = 0; i < labels.Length; i++)
        {
            Assert.Equal(r.Intrinsic[i], terms[0].Values.ToArray()[i], 5);
            Assert.Equal(r.Context[i], terms[1].Values.ToArray()[i], 5);
        }
    }

    [Fact]
    public void Value_IsNotTrivial()
    {
        // Guards the reference comparisons above against all-zero (no violation) batches.
        int[] labels = [0, 1, 2, 0, 1, 2];
        var loss = new ManifoldLoss(3, 4, seed: 1);
        var r = Compute(loss, Fixtures.RandomEmbeddings(11, labels.Length, 4, requiresGrad: false), labels);
        Assert.True(r.Intrinsic.Sum() > 0 && r.Context.Sum() > 0);
    }

    [Fact]
    public void LambdaCAndHyperparameters_FollowTheFormula()
    {
        int[] labels = [0, 1, 1, 2, 0];
        var x = Fixtures.RandomEmbeddings(21, labels.Length, 3, requiresGrad: false);
        var intrinsicOnly = new ManifoldLoss(3, 3, lambdaC: 0f, seed: 5);
        var r = Compute(intrinsicOnly, x, labels);
        Assert.Equal(r.Loss(0), intrinsicOnly.Compute(x, labels).Item(), 5);
        Assert.Equal("intrinsic", Assert.Single(intrinsicOnly.ComputeTerms(x, labels)).Name);

        var custom = new ManifoldLoss(3, 3, lambdaC: 2.5f, alpha: 0.5f, margin: 0.05f, seed: 5);
        var rc = Compute(x.ToArray(), labels.Length, custom.Proxies.ToArray(), 3, 3, labels, 0.5, 0.05);
        Assert.Equal(rc.Loss(2.5), custom.Compute(x, labels).Item(), 5);
    }

    [Fact]
    public void Gradient_EmbeddingsAndProxies_MatchFiniteDifferences()
    {
        // N = 4, K = 3, D = 3; the loss jumps where a violation crosses 0, so pick (deterministically) a batch whose
        // violations are all well away from 0 compared with the finite-difference step.
        int[] labels = [0, 1, 2, 1];
        for (ulong seed = 1; ; seed++)
        {
            Assert.True(seed < 200, "no batch far from the loss's jumps");
            var loss = new ManifoldLoss(3, 3, seed: seed);
            var x = GradCheck.Random(seed + 1000, [4, 3]);
            var r = Compute(loss, x, labels);
            if (DistanceToJump(r, labels) < 0.02 || r.Intrinsic.Sum() == 0 || r.Context.Sum() == 0)
            {
                continue;
            }
            Assert.Equal("proxies", Assert.Single(loss.NamedParameters()).Key);
            GradCheck.Check(t => loss.Compute(t[0], labels), [x, loss.Proxies], eps: 1e-3f);
            return;
        }
    }

    [Fact]
    public void OneSample_IsFinite_AndMatchesReference()
    {
        var loss = new ManifoldLoss(3, 2, seed: 7);
        var x = Fixtures.RandomEmbeddings(8, 1, 2);
        var value = loss.Compute(x, [2]);
        Assert.Equal(Compute(loss, x, [2]).Loss(1), value.Item(), 5);
        value.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Proxies.Grad);
    }

    [Fact]
    public void DuplicatedAndZeroEmbeddings_GiveFiniteGradients()
    {
        var loss = new ManifoldLoss(2, 2, seed: 9);
        var x = Tensor.FromArray([1f, 2f, 1f, 2f, 1f, 2f, 0f, 0f], 4, 2);
        x.RequiresGrad = true;
        int[] labels = [0, 1, 0, 1];
        var value = loss.Compute(x, labels);
        Assert.True(float.IsFinite(value.Item()));
        Assert.Equal(Compute(loss, x, labels).Loss(1), value.Item(), 5);
        value.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Proxies.Grad);
    }

    [Fact]
    public void SingleProxy_GivesZeroWithZeroGradient()
    {
        // With K = 1 there is no other proxy to violate the assignment.
        var loss = new ManifoldLoss(1, 3);
        LossAssert.NothingToLearn(loss, [0, 0, 0], seed: 12);
    }

    [Fact]
    public void BadLabels_GiveClearErrors()
    {
        var loss = new ManifoldLoss(3, 2);
        var x = Fixtures.RandomEmbeddings(1, 2, 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(x, [0, 3]));
        Assert.Contains("labels[1] = 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(x, [-1, 0]));
        Assert.Throws<ArgumentException>(() => loss.Compute(x, [0]));
        Assert.Throws<ArgumentException>(() => loss.Compute(Fixtures.RandomEmbeddings(1, 2, 3), [0, 1]));
        Assert.Throws<ArgumentException>(() => loss.Compute(x, [0, 1], refEmbeddings: x, refLabels: [0, 1]));
    }

    [Fact]
    public void BadHyperparameters_GiveClearErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManifoldLoss(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManifoldLoss(2, 0));
        Assert.Contains("alpha", Assert.ThrowsAny<ArgumentException>(() => new ManifoldLoss(2, 2, alpha: 1f)).Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => new ManifoldLoss(2, 2, alpha: 0f));
        Assert.ThrowsAny<ArgumentException>(() => new ManifoldLoss(2, 2, alpha: float.NaN));
        Assert.Contains("lambdaC", Assert.ThrowsAny<ArgumentException>(() => new ManifoldLoss(2, 2, lambdaC: -1f)).Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => new ManifoldLoss(2, 2, margin: float.NaN));
    }
}

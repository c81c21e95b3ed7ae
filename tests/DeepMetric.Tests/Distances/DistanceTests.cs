using DeepMetric.Distances;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Distances;

public sealed class DistanceTests
{
    private const int N = 5, M = 4, D = 3;

    [Theory]
    [InlineData(1f, false)]
    [InlineData(2f, false)]
    [InlineData(2f, true)]
    [InlineData(3f, false)]
    [InlineData(float.PositiveInfinity, false)]
    [InlineData(0.5f, false)]
    public void LpDistance_MatchesDoubleLoop(float p, bool normalize)
    {
        var q = Fixtures.RandomEmbeddings(1, N, D, false);
        var r = Fixtures.RandomEmbeddings(2, M, D, false);
        var dist = new LpDistance(p, normalize).Pairwise(q, r);
        Assert.Equal(new[] { N, M }, dist.Shape);
        var qa = Reference.Rows(q.ToArray(), N, D);
        var ra = Reference.Rows(r.ToArray(), M, D);
        if (normalize)
        {
            qa = qa.Select(Reference.Normalize).ToArray();
            ra = ra.Select(Reference.Normalize).ToArray();
        }
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < M; j++)
            {
                Assert.Equal(Reference.Lp(qa[i], ra[j], p), dist[i, j], 4);
            }
        }
    }

    [Fact]
    public void SquaredEuclidean_IsPowerTwo()
    {
        var q = Fixtures.RandomEmbeddings(3, N, D, false);
        var d2 = new LpDistance(normalizeEmbeddings: false, power: 2f).Pairwise(q);
        var qa = Reference.Rows(q.ToArray(), N, D);
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                Assert.Equal(Math.Pow(Reference.Lp(qa[i], qa[j], 2), 2), d2[i, j], 3);
            }
        }
    }

    [Fact]
    public void CosineAndDot_MatchDoubleLoop()
    {
        var q = Fixtures.RandomEmbeddings(4, N, D, false);
        var r = Fixtures.RandomEmbeddings(5, M, D, false);
        var cos = new CosineSimilarity().Pairwise(q, r);
        var dot = new DotProductSimilarity(normalizeEmbeddings: false).Pairwise(q, r);
        var qa = Reference.Rows(q.ToArray(), N, D);
        var ra = Reference.Rows(r.ToArray(), M, D);
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < M; j++)
            {
                Assert.Equal(Reference.Dot(Reference.Normalize(qa[i]), Reference.Normalize(ra[j])), cos[i, j], 5);
                Assert.Equal(Reference.Dot(qa[i], ra[j]), dot[i, j], 4);
            }
        }
        Assert.True(new CosineSimilarity().IsInverted);
        Assert.False(new LpDistance().IsInverted);
    }

    [Fact]
    public void Snr_MatchesDefinition()
    {
        var q = Fixtures.RandomEmbeddings(6, N, D + 2, false);
        var snr = new SnrDistance(normalizeEmbeddings: false).Pairwise(q);
        var qa = Reference.Rows(q.ToArray(), N, D + 2);
        static double Var(double[] x)
        {
            double m = x.Average();
            return x.Sum(v => (v - m) * (v - m)) / x.Length;
        }
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
            {
                var diff = qa[j].Zip(qa[i], (b, a) => b - a).ToArray();
                Assert.Equal(Var(diff) / Var(qa[i]), snr[i, j], 3);
            }
        }
        var paired = new SnrDistance(normalizeEmbeddings: false).Paired(q, Ops.IndexSelect(q, 0, [4, 3, 2, 1, 0]));
        for (int i = 0; i < N; i++)
        {
            var other = qa[N - 1 - i];
            var diff = other.Zip(qa[i], (b, a) => b - a).ToArray();
            Assert.Equal(Var(diff) / Var(qa[i]), paired[i], 3);
        }
    }

    [Theory]
    [InlineData(2f, true)]
    [InlineData(2f, false)]
    [InlineData(1f, false)]
    [InlineData(3f, true)]
    public void LpDistance_GradientsMatchFiniteDifferences(float p, bool normalize)
    {
        var dist = new LpDistance(p, normalize);
        GradCheck.Check(x => dist.Pairwise(x[0], x[1]), [GradCheck.Random(7, [3, 4]), GradCheck.Random(8, [4, 4])]);
        GradCheck.Check(x => dist.Paired(x[0], x[1]), [GradCheck.Random(9, [3, 4]), GradCheck.Random(10, [3, 4])]);
    }

    [Fact]
    public void SimilarityAndSnr_GradientsMatchFiniteDifferences()
    {
        GradCheck.Check(x => new CosineSimilarity().Pairwise(x[0], x[1]), [GradCheck.Random(11, [3, 4]), GradCheck.Random(12, [2, 4])]);
        GradCheck.Check(x => new SnrDistance(normalizeEmbeddings: false).Pairwise(x[0], x[1]), [GradCheck.Random(13, [3, 5]), GradCheck.Random(14, [2, 5])]);
    }

    [Theory]
    [InlineData(2f, true)]
    [InlineData(2f, false)]
    [InlineData(1f, false)]
    [InlineData(float.PositiveInfinity, false)]
    public void DuplicatedEmbeddings_GiveFiniteGradients(float p, bool normalize)
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 1f, 2f, 3f, 0f, 0f, 0f], 3, 3);
        x.RequiresGrad = true;
        var d = new LpDistance(p, normalize).Pairwise(x);
        Assert.Equal(0f, d[0, 1], 3);
        Ops.Sum(d).Backward();
        Fixtures.AssertFinite(x.Grad);
    }

    [Fact]
    public void BadInput_GivesClearErrors()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LpDistance().Pairwise(Tensor.Zeros(3), null));
        Assert.Contains("[N, D]", ex.Message, StringComparison.Ordinal);
        var ex2 = Assert.Throws<ArgumentException>(() => new LpDistance().Pairwise(Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)));
        Assert.Contains("dimension", ex2.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LpDistance(p: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LpDistance(power: -1));
    }
}

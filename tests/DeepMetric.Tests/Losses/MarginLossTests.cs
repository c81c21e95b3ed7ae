using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class MarginLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // Paper form: [α + y(D − β)]₊ per ordered pair, each side averaged over its non-zero losses.
    private static double Expected(double[,] dist, int[] labels, double alpha, Func<int, double> beta, double nu = 0)
    {
        int n = labels.Length;
        List<double> pos = [], neg = [];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                if (i == j)
                {
                    continue;
                }
                double y = labels[i] == labels[j] ? 1 : -1;
                (y > 0 ? pos : neg).Add(Reference.Relu(alpha + (y * (dist[i, j] - beta(labels[i])))));
            }
        }
        double reg = 0;
        for (int i = 0; i < n; i++)
        {
            reg += nu * beta(labels[i]) / n;
        }
        return Reference.AvgNonZero(pos) + Reference.AvgNonZero(neg) + reg;
    }

    [Theory]
    [InlineData(1UL, 0.2f, 1.2f)]
    [InlineData(2UL, 0.3f, 0.9f)]
    public void Value_MatchesDoubleLoop(ulong seed, float margin, float beta)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new MarginLoss(margin, beta).Compute(e, Labels);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        Assert.Equal(Expected(dist, Labels, margin, _ => beta), loss.Item(), 4);
    }

    [Fact]
    public void Unnormalized_PerClassBeta_AndNu_MatchDoubleLoop()
    {
        int[] labels = [0, 1, 1, 2, 2, 2, 0];
        var e = Fixtures.RandomEmbeddings(3, labels.Length, 3);
        var loss = new MarginLoss(0.5f, 1f, nu: 0.1f, numClasses: 3, distance: new LpDistance(normalizeEmbeddings: false));
        // β starts at 1 for every class; distinct values test the per-class lookup.
        double[] betas = [1.0, 1.5, 2.0];
        loss.Beta.Span[1] = 1.5f;
        loss.Beta.Span[2] = 2f;
        var value = loss.Compute(e, labels);
        var x = Reference.Rows(e.ToArray(), labels.Length, 3);
        var dist = new double[labels.Length, labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < labels.Length; j++)
            {
                dist[i, j] = Reference.Lp(x[i], x[j], 2);
            }
        }
        Assert.Equal(Expected(dist, labels, 0.5, c => betas[c], 0.1), value.Item(), 4);
    }

    [Fact]
    public void Beta_IsRegisteredTrainableParameter_AndGetsGradient()
    {
        var loss = new MarginLoss(nu: 0.05f);
        var p = Assert.Single(loss.NamedParameters());
        Assert.Equal("beta", p.Key);
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3);
        loss.Compute(e, Labels).Backward();
        Fixtures.AssertFinite(loss.Beta.Grad);
        Assert.NotEqual(0f, loss.Beta.Grad!.Item());
        Assert.Empty(new MarginLoss(learnBeta: false).NamedParameters());
        Assert.Single(new MarginLoss(learnBeta: false).NamedBuffers());
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new MarginLoss(0.2f, 1.0f, nu: 0.1f, numClasses: 3, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3]), loss.Beta]);
    }

    [Fact]
    public void WithCosineSimilarity_UsesSimilarityDirection()
    {
        var e = Fixtures.RandomEmbeddings(5, Labels.Length, 4);
        var loss = new MarginLoss(0.1f, 0.3f, distance: new CosineSimilarity()).Compute(e, Labels);
        var x = Reference.Rows(e.ToArray(), Labels.Length, 4).Select(Reference.Normalize).ToArray();
        List<double> pos = [], neg = [];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                if (i != j)
                {
                    double s = Reference.Dot(x[i], x[j]);
                    if (Labels[i] == Labels[j])
                    {
                        pos.Add(Reference.Relu(0.1 + 0.3 - s));
                    }
                    else
                    {
                        neg.Add(Reference.Relu(0.1 + s - 0.3));
                    }
                }
            }
        }
        Assert.Equal(Reference.AvgNonZero(pos) + Reference.AvgNonZero(neg), loss.Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_AndMinedPairs()
    {
        var e = Fixtures.RandomEmbeddings(6, 2, 3);
        var r = Fixtures.RandomEmbeddings(7, 3, 3);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), 2, r.ToArray(), 3, 3);
        var loss = new MarginLoss(0.2f, 1.2f, reducer: new SumReducer());
        double expected = 0;
        int[] labels = [0, 1], refLabels = [0, 1, 1];
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                double y = labels[i] == refLabels[j] ? 1 : -1;
                expected += Reference.Relu(0.2 + (y * (dist[i, j] - 1.2)));
            }
        }
        Assert.Equal(expected, loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 4);
        var mined = loss.Compute(e, labels, new PairTuples([1], [2], [0], [1]), r, refLabels);
        Assert.Equal(Reference.Relu(0.2 + dist[1, 2] - 1.2) + Reference.Relu(0.2 - dist[0, 1] + 1.2), mined.Item(), 4);
    }

    [Theory]
    [InlineData(new[] { 3 }, 1.2f)]            // one sample: no pair
    [InlineData(new[] { 5, 5, 5 }, 5f)]        // one class, every positive inside β − α
    [InlineData(new[] { 1, 2, 3, 4 }, -1f)]    // no positive, every negative beyond β + α
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels, float beta)
    {
        LossAssert.NothingToLearn(new MarginLoss(0.2f, beta), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        var e = Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f, 0f, 1f], 4, 2);
        e.RequiresGrad = true;
        var loss = new MarginLoss();
        loss.Compute(e, [0, 0, 1, 1]).Backward();
        Fixtures.AssertFinite(e.Grad);
        Fixtures.AssertFinite(loss.Beta.Grad);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MarginLoss(margin: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MarginLoss(nu: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MarginLoss(numClasses: 0));
        var e = Fixtures.RandomEmbeddings(9, 2, 2);
        var ex = Assert.Throws<ArgumentException>(() => new MarginLoss(numClasses: 2).Compute(e, [0, 4]));
        Assert.Contains("Label 4", ex.Message, StringComparison.Ordinal);
    }
}

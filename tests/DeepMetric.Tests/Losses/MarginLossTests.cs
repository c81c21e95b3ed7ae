using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class MarginLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    // PML 2.8.1's form: over all triplets (a, p, n), Σ ([α + D_ap − β]₊ + [α + β − D_an]₊) / (number of non-zero parts),
    // plus ν·Σ β_anchor / that count with per-class β (ν·β shared) when β is learned.
    private static double Expected(double[,] dist, int[] labels, double alpha, Func<int, double> beta, double nu = 0, bool perClass = false)
    {
        int n = labels.Length, nonZero = 0;
        double sum = 0, betaSum = 0;
        for (int a = 0; a < n; a++)
        {
            for (int p = 0; p < n; p++)
            {
                for (int q = 0; q < n; q++)
                {
                    if (p == a || labels[p] != labels[a] || labels[q] == labels[a])
                    {
                        continue;
                    }
                    double b = beta(labels[a]);
                    double pos = Reference.Relu(alpha + dist[a, p] - b), neg = Reference.Relu(alpha + b - dist[a, q]);
                    nonZero += (pos > 0 ? 1 : 0) + (neg > 0 ? 1 : 0);
                    sum += pos + neg;
                    betaSum += b;
                }
            }
        }
        double loss = nonZero == 0 ? 0 : sum / nonZero;
        if (nu > 0)
        {
            loss += perClass ? (nonZero == 0 ? 0 : nu * betaSum / nonZero) : nu * beta(0);
        }
        return loss;
    }

    [Theory]
    [InlineData(1UL, 0.2f, 1.2f)]
    [InlineData(2UL, 0.3f, 0.9f)]
    public void Value_MatchesDoubleLoop(ulong seed, float margin, float beta)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var loss = new MarginLoss(margin, beta: beta).Compute(e, Labels);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        Assert.Equal(Expected(dist, Labels, margin, _ => beta), loss.Item(), 4);
    }

    [Fact]
    public void Unnormalized_PerClassBeta_AndNu_MatchDoubleLoop()
    {
        int[] labels = [0, 1, 1, 2, 2, 2, 0];
        var e = Fixtures.RandomEmbeddings(3, labels.Length, 3);
        var loss = new MarginLoss(0.5f, beta: 1f, nu: 0.1f, learnBeta: true, numClasses: 3, distance: new LpDistance(normalizeEmbeddings: false));
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
        Assert.Equal(Expected(dist, labels, 0.5, c => betas[c], 0.1, perClass: true), value.Item(), 4);
    }

    [Fact]
    public void Beta_IsRegisteredTrainableParameter_AndGetsGradient()
    {
        var loss = new MarginLoss(nu: 0.05f, learnBeta: true);
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
        var loss = new MarginLoss(0.2f, beta: 1.0f, nu: 0.1f, learnBeta: true, numClasses: 3, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3]), loss.Beta]);
    }

    [Fact]
    public void WithCosineSimilarity_UsesSimilarityDirection()
    {
        var e = Fixtures.RandomEmbeddings(5, Labels.Length, 4);
        var loss = new MarginLoss(0.1f, beta: 0.3f, distance: new CosineSimilarity()).Compute(e, Labels);
        var x = Reference.Rows(e.ToArray(), Labels.Length, 4).Select(Reference.Normalize).ToArray();
        var negSim = new double[Labels.Length, Labels.Length];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                negSim[i, j] = -Reference.Dot(x[i], x[j]);
            }
        }
        // With a similarity s the parts are [α + β − s_ap]₊ and [α + s_an − β]₊: the distance form with D = −s, β → −β.
        Assert.Equal(Expected(negSim, Labels, 0.1, _ => -0.3), loss.Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_AndMinedPairs()
    {
        var e = Fixtures.RandomEmbeddings(6, 2, 3);
        var r = Fixtures.RandomEmbeddings(7, 3, 3);
        var dist = Reference.NormalizedEuclidean(e.ToArray(), 2, r.ToArray(), 3, 3);
        var loss = new MarginLoss(0.2f, beta: 1.2f, reducer: new SumReducer());
        double expected = 0;
        int[] labels = [0, 1], refLabels = [0, 1, 1];
        for (int a = 0; a < 2; a++)
        {
            for (int p = 0; p < 3; p++)
            {
                for (int q = 0; q < 3; q++)
                {
                    if (labels[a] == refLabels[p] && labels[a] != refLabels[q])
                    {
                        expected += Reference.Relu(0.2 + dist[a, p] - 1.2) + Reference.Relu(0.2 + 1.2 - dist[a, q]);
                    }
                }
            }
        }
        Assert.Equal(expected, loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 4);
        // Pairs are combined per anchor into triplets: anchor 1 has positive 2 and negative 0.
        var mined = loss.Compute(e, labels, new PairTuples([1], [2], [1], [0]), r, refLabels);
        Assert.Equal(Reference.Relu(0.2 + dist[1, 2] - 1.2) + Reference.Relu(0.2 - dist[1, 0] + 1.2), mined.Item(), 4);
    }

    [Theory]
    [InlineData(new[] { 3 }, 1.2f)]            // one sample: no pair
    [InlineData(new[] { 5, 5, 5 }, 5f)]        // one class, every positive inside β − α
    [InlineData(new[] { 1, 2, 3, 4 }, -1f)]    // no positive, every negative beyond β + α
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels, float beta)
    {
        LossAssert.NothingToLearn(new MarginLoss(0.2f, beta: beta), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        var e = Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f, 0f, 1f], 4, 2);
        e.RequiresGrad = true;
        var loss = new MarginLoss(learnBeta: true);
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
        var e = Fixtures.RandomEmbeddings(9, 3, 2);
        var ex = Assert.Throws<ArgumentException>(() => new MarginLoss(numClasses: 2).Compute(e, [0, 4, 4]));
        Assert.Contains("Label 4", ex.Message, StringComparison.Ordinal);
    }
}

using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class PceLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 3];

    /// <summary>CE(θ) + (λ/2)‖θ‖² of a linear classifier θ [K, D] over rows z with class indices y (double loops).</summary>
    private static double RegularisedCrossEntropy(double[][] z, int[] y, double[][] theta, double lambda)
    {
        int n = z.Length;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var logits = theta.Select(t => Reference.Dot(t, z[i])).ToArray();
            total += Reference.LogSumExp(logits) - logits[y[i]];
        }
        double norm = theta.Sum(t => t.Sum(v => v * v));
        return (total / n) + (lambda / 2 * norm);
    }

    /// <summary>min_θ CE(θ) + (λ/2)‖θ‖² by plain gradient descent on θ itself (no kernel trick, no acceleration).</summary>
    private static double[][] MinimisingClassifier(double[][] z, int[] y, int classes, double lambda)
    {
        int n = z.Length, d = z[0].Length;
        var theta = Enumerable.Range(0, classes).Select(_ => new double[d]).ToArray();
        double zz = z.Sum(r => Reference.Dot(r, r)) / n;
        double step = 1 / (lambda + zz);
        for (int it = 0; it < 20000; it++)
        {
            var grad = theta.Select(t => t.Select(v => lambda * v).ToArray()).ToArray();
            for (int i = 0; i < n; i++)
            {
                var logits = theta.Select(t => Reference.Dot(t, z[i])).ToArray();
                double lse = Reference.LogSumExp(logits);
                for (int k = 0; k < classes; k++)
                {
                    double coef = (Math.Exp(logits[k] - lse) - (y[i] == k ? 1 : 0)) / n;
                    for (int c = 0; c < d; c++)
                    {
                        grad[k][c] += coef * z[i][c];
                    }
                }
            }
            for (int k = 0; k < classes; k++)
            {
                for (int c = 0; c < d; c++)
                {
                    theta[k][c] -= step * grad[k][c];
                }
            }
        }
        return theta;
    }

    /// <summary>The pairwise formula (tightness + contrastive + soft-mean) with probabilities p [n][K], by loops.</summary>
    private static double PairwiseFormula(double[][] z, int[] y, double[][] p, double lambda)
    {
        int n = z.Length, classes = p[0].Length;
        double tight = 0, contrast = 0, soft = 0;
        for (int i = 0; i < n; i++)
        {
            var a = new double[classes];
            for (int j = 0; j < n; j++)
            {
                double s = Reference.Dot(z[i], z[j]);
                if (y[j] == y[i])
                {
                    tight -= s / (2 * lambda * n * n);
                }
                for (int k = 0; k < classes; k++)
                {
                    a[k] += ((y[j] == k ? 1 : 0) - p[j][k]) * s / (lambda * n);
                    soft += p[i][k] * p[j][k] * s / (2 * lambda * n * n);
                }
            }
            contrast += Reference.LogSumExp(a) / n;
        }
        return tight + contrast + soft;
    }

    private static int[] ClassIndices(int[] labels)
    {
        var order = labels.Distinct().ToList();
        return labels.Select(l => order.IndexOf(l)).ToArray();
    }

    [Theory]
    [InlineData(1UL, 1f, 1f)]
    [InlineData(2UL, 0.5f, 0.7f)]
    [InlineData(3UL, 2f, 2.5f)]
    public void Value_IsTheMinimumOfTheWeightDecayedCrossEntropy(ulong seed, float scale, float lambda)
    {
        var e = Ops.Mul(Fixtures.RandomEmbeddings(seed, Labels.Length, 4, requiresGrad: false), scale);
        var z = Reference.Rows(e.ToArray(), Labels.Length, 4);
        var y = ClassIndices(Labels);
        var theta = MinimisingClassifier(z, y, 4, lambda);
        double min = RegularisedCrossEntropy(z, y, theta, lambda);

        var loss = new PceLoss(lambda).Compute(e, Labels);
        Assert.Equal(min, loss.Item(), 4);

        // The paper's pairwise form, with the probabilities of the test's own minimiser, is the same number.
        var p = z.Select(r =>
        {
            var logits = theta.Select(t => Reference.Dot(t, r)).ToArray();
            double lse = Reference.LogSumExp(logits);
            return logits.Select(l => Math.Exp(l - lse)).ToArray();
        }).ToArray();
        Assert.Equal(PairwiseFormula(z, y, p, lambda), loss.Item(), 4);
    }

    [Fact]
    public void CrossEntropyOfAnyClassifier_BoundsItFromAbove()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3, requiresGrad: false);
        var z = Reference.Rows(e.ToArray(), Labels.Length, 3);
        var y = ClassIndices(Labels);
        float pce = new PceLoss(0.8f).Compute(e, Labels).Item();
        var rng = new System.Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var theta = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 3).Select(_ => (rng.NextDouble() * 4) - 2).ToArray()).ToArray();
            Assert.True(RegularisedCrossEntropy(z, y, theta, 0.8) >= pce - 1e-5);
        }
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new PceLoss();
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 2, 1, 1]), [GradCheck.Random(6, [6, 3])]);
        var cos = new PceLoss(0.5f, new CosineSimilarity());
        GradCheck.Check(x => cos.Compute(x[0], [0, 1, 0, 2, 1, 1]), [GradCheck.Random(7, [6, 3])]);
    }

    [Fact]
    public void Cosine_IsDotProductOfNormalisedEmbeddings()
    {
        var e = Fixtures.RandomEmbeddings(8, Labels.Length, 3, requiresGrad: false);
        var normalised = Ops.L2Normalize(e, 1);
        float cos = new PceLoss(1f, new CosineSimilarity()).Compute(e, Labels).Item();
        float dot = new PceLoss().Compute(normalised, Labels).Item();
        Assert.Equal(dot, cos, 5);
    }

    [Theory]
    [InlineData(new[] { 3 })]          // one sample
    [InlineData(new[] { 5, 5, 5 })]    // one class
    public void OneClass_GivesZeroAndZeroGradient(int[] labels)
    {
        var e = Fixtures.RandomEmbeddings(9, labels.Length, 3);
        var loss = new PceLoss().Compute(e, labels);
        Assert.Equal(0f, loss.Item(), 5);
        loss.Backward();
        foreach (float g in e.Grad!.ToArray())
        {
            Assert.Equal(0f, g, 5);
        }
    }

    [Fact]
    public void AllDistinctLabelsAndDuplicates_StayFinite()
    {
        var e = Fixtures.RandomEmbeddings(10, 5, 3);
        var loss = new PceLoss().Compute(e, [0, 1, 2, 3, 4]);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
        LossAssert.FiniteGradientOnDuplicates(new PceLoss(), LossAssert.TwoDuplicatedPairs(), [0, 1, 0, 1]);
    }

    [Fact]
    public void LargeScale_ConvergesAndStaysFinite()
    {
        var e = Ops.Mul(Fixtures.RandomEmbeddings(11, Labels.Length, 4, requiresGrad: false), 10f);
        e.RequiresGrad = true;
        var loss = new PceLoss().Compute(e, Labels);
        var z = Reference.Rows(e.ToArray(), Labels.Length, 4);
        var y = ClassIndices(Labels);
        double min = RegularisedCrossEntropy(z, y, MinimisingClassifier(z, y, 4, 1.0), 1.0);
        Assert.Equal(min, loss.Item(), 3);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void BadArguments_AreRejectedByName()
    {
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new PceLoss(0f)).ParamName);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new PceLoss(float.NaN)).ParamName);
        Assert.Equal("maxIterations", Assert.Throws<ArgumentOutOfRangeException>(() => new PceLoss(maxIterations: 0)).ParamName);
        Assert.Equal("distance", Assert.Throws<ArgumentException>(() => new PceLoss(distance: new LpDistance())).ParamName);
        var e = LossAssert.TwoDuplicatedPairs();
        Assert.Equal("tuples", Assert.Throws<ArgumentException>(() => new PceLoss().Compute(e, [0, 1, 0, 1], new PairTuples([0], [2], [0], [1]))).ParamName);
        Assert.Equal("refEmbeddings", Assert.Throws<ArgumentException>(() => new PceLoss().Compute(e, [0, 1, 0, 1], refEmbeddings: e, refLabels: [0, 1, 0, 1])).ParamName);
    }
}

using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SpceLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 3];

    /// <summary>The paper's SPCE by loops, with a similarity function over query rows q and reference rows r.</summary>
    private static double Expected(double[][] q, int[] labels, double[][] r, int[] refLabels, Func<double[], double[], double> sim)
    {
        int n = q.Length, m = r.Length;
        var classes = refLabels.Distinct().ToArray();
        double tight = 0, contrast = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                if (refLabels[j] == labels[i])
                {
                    tight -= sim(q[i], r[j]);
                }
            }
            var a = new double[classes.Length];
            for (int c = 0; c < classes.Length; c++)
            {
                for (int j = 0; j < m; j++)
                {
                    if (refLabels[j] == classes[c])
                    {
                        a[c] += sim(q[i], r[j]) / m;
                    }
                }
            }
            // log Σ exp, shifted by the max so the huge-scale case stays finite.
            double max = a.Max();
            contrast += max + Math.Log(a.Sum(v => Math.Exp(v - max)));
        }
        return (tight / (n * (double)m)) + (contrast / n);
    }

    [Theory]
    [InlineData(1UL, 1f)]
    [InlineData(2UL, 0.3f)]
    public void Value_DotProduct_MatchesDoubleLoop(ulong seed, float scale)
    {
        var e = Ops.Mul(Fixtures.RandomEmbeddings(seed, Labels.Length, 4, requiresGrad: false), scale);
        var rows = Reference.Rows(e.ToArray(), Labels.Length, 4);
        var loss = new SpceLoss().Compute(e, Labels);
        Assert.Equal(Expected(rows, Labels, rows, Labels, Reference.Dot), loss.Item(), 4);
    }

    [Fact]
    public void Value_IsTheCrossEntropyOfTheClassSumClassifier()
    {
        // The paper's reading: SPCE is the softmax cross-entropy of the linear classifier θ_k = (1/n) Σ_{j: y_j = k} z_j.
        var e = Fixtures.RandomEmbeddings(12, Labels.Length, 4, requiresGrad: false);
        var z = Reference.Rows(e.ToArray(), Labels.Length, 4);
        var classes = Labels.Distinct().ToArray();
        var theta = classes.Select(k => Enumerable.Range(0, 4)
            .Select(c => Enumerable.Range(0, z.Length).Where(j => Labels[j] == k).Sum(j => z[j][c]) / z.Length).ToArray()).ToArray();
        double ce = 0;
        for (int i = 0; i < z.Length; i++)
        {
            var logits = theta.Select(t => Reference.Dot(t, z[i])).ToArray();
            ce += (Reference.LogSumExp(logits) - logits[Array.IndexOf(classes, Labels[i])]) / z.Length;
        }
        Assert.Equal(ce, new SpceLoss().Compute(e, Labels).Item(), 4);
    }

    [Fact]
    public void Value_WithLpDistanceAndCosine_UsesSimilarityDirection()
    {
        var e = Fixtures.RandomEmbeddings(3, Labels.Length, 3);
        var rows = Reference.Rows(e.ToArray(), Labels.Length, 3);
        var norm = rows.Select(Reference.Normalize).ToArray();
        var lp = new SpceLoss(new LpDistance()).Compute(e, Labels);
        Assert.Equal(Expected(norm, Labels, norm, Labels, (a, b) => -Reference.Lp(a, b, 2)), lp.Item(), 4);
        var cos = new SpceLoss(new CosineSimilarity()).Compute(e, Labels);
        Assert.Equal(Expected(norm, Labels, norm, Labels, Reference.Dot), cos.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new SpceLoss();
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 2, 1, 1]), [GradCheck.Random(4, [6, 3])]);
        var cos = new SpceLoss(new CosineSimilarity());
        GradCheck.Check(x => cos.Compute(x[0], [0, 1, 0, 2, 1, 1]), [GradCheck.Random(5, [6, 3])]);
    }

    [Fact]
    public void SeparateReferenceSet_NormalisesByReferenceSize()
    {
        var e = Fixtures.RandomEmbeddings(6, 3, 3);
        var r = Fixtures.RandomEmbeddings(7, 4, 3);
        int[] labels = [0, 1, 5], refLabels = [0, 1, 1, 2];   // class 5 absent from the reference: tightness 0
        var loss = new SpceLoss().Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        var expected = Expected(Reference.Rows(e.ToArray(), 3, 3), labels, Reference.Rows(r.ToArray(), 4, 3), refLabels, Reference.Dot);
        Assert.Equal(expected, loss.Item(), 4);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
        Fixtures.AssertFinite(r.Grad);
    }

    [Theory]
    [InlineData(new[] { 3 })]          // one sample
    [InlineData(new[] { 5, 5, 5 })]    // one class
    public void OneClass_GivesZeroAndZeroGradient(int[] labels)
    {
        var e = Fixtures.RandomEmbeddings(8, labels.Length, 3);
        var loss = new SpceLoss().Compute(e, labels);
        Assert.Equal(0f, loss.Item(), 5);
        loss.Backward();
        foreach (float g in e.Grad!.ToArray())
        {
            Assert.Equal(0f, g, 5);
        }
    }

    [Fact]
    public void HugeScale_DoesNotOverflow()
    {
        var e = Ops.Mul(Fixtures.RandomEmbeddings(9, Labels.Length, 4, requiresGrad: false), 300f);
        e.RequiresGrad = true;
        var loss = new SpceLoss().Compute(e, Labels);
        var rows = Reference.Rows(e.ToArray(), Labels.Length, 4);
        double expected = Expected(rows, Labels, rows, Labels, Reference.Dot);
        Assert.True(float.IsFinite(loss.Item()));
        Assert.Equal(1.0, loss.Item() / expected, 3);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void DuplicatedEmbeddingsAndTuples()
    {
        var e = LossAssert.TwoDuplicatedPairs();
        LossAssert.FiniteGradientOnDuplicates(new SpceLoss(new LpDistance()), e, [0, 1, 0, 1]);
        var ex = Assert.Throws<ArgumentException>(() => new SpceLoss().Compute(e, [0, 1, 0, 1], new PairTuples([0], [2], [0], [1])));
        Assert.Equal("tuples", ex.ParamName);
    }
}

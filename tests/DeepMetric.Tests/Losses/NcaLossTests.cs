using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class NcaLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    private static double[,] Scaled(double[,] x, double factor)
    {
        var r = (double[,])x.Clone();
        for (int i = 0; i < r.GetLength(0); i++)
        {
            for (int j = 0; j < r.GetLength(1); j++)
            {
                r[i, j] *= factor;
            }
        }
        return r;
    }

    private static double[,] SquaredEuclidean(float[] q, int n, float[] r, int m, int d)
    {
        var e = Reference.Euclidean(q, n, r, m, d, normalize: false);
        var res = new double[n, m];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                res[i, j] = e[i, j] * e[i, j];
            }
        }
        return res;
    }

    [Theory]
    [InlineData(1UL, 1f)]
    [InlineData(2UL, 0.3f)]
    [InlineData(3UL, 4f)]
    public void Value_MatchesPaperFormula(ulong seed, float scale)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 3);
        var z = Scaled(SquaredEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3), -scale);
        var loss = new NcaLoss(scale, new LpDistance(normalizeEmbeddings: false, power: 2f)).Compute(e, Labels);
        Assert.Equal(Reference.NcaValues(z, Labels, Labels, (i, j) => i == j).Average(), loss.Item(), 4);
    }

    [Fact]
    public void WithCosineSimilarity_UsesScaledSimilarities()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3);
        var z = Scaled(Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true), 5);
        var loss = new NcaLoss(5f, new CosineSimilarity()).Compute(e, Labels);
        Assert.Equal(Reference.NcaValues(z, Labels, Labels, (i, j) => i == j).Average(), loss.Item(), 4);
    }

    [Fact]
    public void SeparateReferenceSet_ComparesAgainstIt()
    {
        var e = Fixtures.RandomEmbeddings(5, 3, 3);
        var r = Fixtures.RandomEmbeddings(6, 4, 3);
        int[] labels = [0, 1, 2], refLabels = [0, 1, 1, 3];
        var z = Scaled(SquaredEuclidean(e.ToArray(), 3, r.ToArray(), 4, 3), -1);
        var loss = new NcaLoss(distance: new LpDistance(normalizeEmbeddings: false, power: 2f)).Compute(e, labels, refEmbeddings: r, refLabels: refLabels);
        Assert.Equal(Reference.NcaValues(z, labels, refLabels, (_, _) => false).Average(), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new NcaLoss(0.5f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2, 3]), [GradCheck.Random(7, [7, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]   // one class: every neighbour is right, −log 1 = 0
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        var e = Fixtures.RandomEmbeddings(8, labels.Length, 3);
        var loss = new NcaLoss().Compute(e, labels);
        Assert.Equal(0f, loss.Item(), 6);
        loss.Backward();
        foreach (float g in e.Grad!.ToArray())
        {
            Assert.Equal(0f, g, 6);
        }
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new NcaLoss(), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        Assert.Equal(Math.Log(3), loss, 4);
    }

    [Fact]
    public void HugeScale_DoesNotOverflow()
    {
        var e = Fixtures.RandomEmbeddings(9, 6, 3);
        var loss = new NcaLoss(1000f).Compute(e, [0, 1, 0, 1, 2, 2]);
        Assert.True(float.IsFinite(loss.Item()));
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }

    [Fact]
    public void BadScale_IsRejected()
    {
        Assert.Equal("softmaxScale", Assert.Throws<ArgumentOutOfRangeException>(() => new NcaLoss(0f)).ParamName);
    }
}

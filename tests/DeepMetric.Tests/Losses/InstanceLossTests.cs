using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class InstanceLossTests
{
    // PML's form: cross-entropy over γ·cos(xᵢ, xⱼ) (j over the batch) with target column = rank of yᵢ among the distinct labels.
    private static double Expected(float[] e, int[] labels, int d, double gamma)
    {
        int n = labels.Length;
        var x = Reference.Rows(e, n, d).Select(Reference.Normalize).ToArray();
        var distinct = labels.Distinct().Order().ToArray();
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var z = Enumerable.Range(0, n).Select(j => gamma * Reference.Dot(x[i], x[j])).ToArray();
            double max = z.Max();
            double lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
            total += lse - z[Array.IndexOf(distinct, labels[i])];
        }
        return total / n;
    }

    [Theory]
    [InlineData(1UL, 64f, new[] { 0, 0, 1, 1, 2 })]
    [InlineData(2UL, 8f, new[] { 7, 3, 3, 9, 7, 1 })]
    [InlineData(3UL, 1f, new[] { 4, 4, 4 })]
    public void Value_MatchesDoubleLoop(ulong seed, float gamma, int[] labels)
    {
        var e = Fixtures.RandomEmbeddings(seed, labels.Length, 3);
        Assert.Equal(Expected(e.ToArray(), labels, 3, gamma), new InstanceLoss(gamma).Compute(e, labels).Item(), 3);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new InstanceLoss(4f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 2, 1, 1, 0]), [GradCheck.Random(5, [5, 3])]);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new InstanceLoss(), LossAssert.TwoDuplicatedPairs(), [0, 0, 1, 1]);
    }

    [Fact]
    public void TuplesAndReferenceSet_AreRejected_AndBadGamma()
    {
        var e = Fixtures.RandomEmbeddings(6, 3, 2);
        Assert.Throws<ArgumentException>(() => new InstanceLoss().Compute(e, [0, 1, 0], new TripletTuples([0], [2], [1])));
        Assert.Throws<ArgumentException>(() => new InstanceLoss().Compute(e, [0, 1, 0], refEmbeddings: e, refLabels: [0, 1, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InstanceLoss(0f));
    }
}

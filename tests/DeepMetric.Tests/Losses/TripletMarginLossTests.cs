using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class TripletMarginLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 1, 2];

    private static List<(int A, int P, int N)> AllTriplets(int[] labels)
    {
        var t = new List<(int, int, int)>();
        for (int a = 0; a < labels.Length; a++)
        {
            for (int p = 0; p < labels.Length; p++)
            {
                for (int n = 0; n < labels.Length; n++)
                {
                    if (a != p && labels[a] == labels[p] && labels[a] != labels[n])
                    {
                        t.Add((a, p, n));
                    }
                }
            }
        }
        return t;
    }

    [Theory]
    [InlineData(0.05f, false, false)]
    [InlineData(0.5f, false, false)]
    [InlineData(0.3f, true, false)]
    [InlineData(0.3f, false, true)]
    [InlineData(0.3f, true, true)]
    public void Value_MatchesDoubleLoop(float margin, bool swap, bool smooth)
    {
        var e = Fixtures.RandomEmbeddings(1, Labels.Length, 4);
        var loss = new TripletMarginLoss(margin, swap, smooth).Compute(e, Labels);
        var d = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        var values = AllTriplets(Labels).Select(t =>
        {
            double an = swap ? Math.Min(d[t.A, t.N], d[t.P, t.N]) : d[t.A, t.N];
            double x = d[t.A, t.P] - an + margin;
            return smooth ? Math.Log(1 + Math.Exp(x)) : Reference.Relu(x);
        });
        Assert.Equal(Reference.AvgNonZero(values), loss.Item(), 4);
    }

    [Fact]
    public void WithSimilarity_UsesSimilarityDirection()
    {
        var e = Fixtures.RandomEmbeddings(2, Labels.Length, 4);
        var loss = new TripletMarginLoss(0.2f, distance: new CosineSimilarity(), reducer: new MeanReducer()).Compute(e, Labels);
        var x = Reference.Rows(e.ToArray(), Labels.Length, 4).Select(Reference.Normalize).ToArray();
        var values = AllTriplets(Labels).Select(t => Reference.Relu(Reference.Dot(x[t.A], x[t.N]) - Reference.Dot(x[t.A], x[t.P]) + 0.2)).ToArray();
        Assert.Equal(values.Average(), loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new TripletMarginLoss(0.4f, smoothLoss: true, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Fact]
    public void TripletsPerAnchor_LimitsCount_Deterministically()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 4);
        var terms1 = new TripletMarginLoss(tripletsPerAnchor: 2, seed: 9).ComputeTerms(e, Labels);
        var terms2 = new TripletMarginLoss(tripletsPerAnchor: 2, seed: 9).ComputeTerms(e, Labels);
        // Anchors 0..4 have a positive; each keeps at most 2 triplets.
        Assert.Equal(10, terms1[0].Values.Size);
        Assert.Equal(terms1[0].Values.ToArray(), terms2[0].Values.ToArray());
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3 })]
    [InlineData(new[] { 4, 4 })]
    public void BatchesWithNoTriplet_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new TripletMarginLoss(1f), labels, seed: 5);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        var e = Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2);
        e.RequiresGrad = true;
        var loss = new TripletMarginLoss(0.5f, swap: true).Compute(e, [0, 0, 1]);
        Assert.Equal(0.5f, loss.Item(), 4);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }
}

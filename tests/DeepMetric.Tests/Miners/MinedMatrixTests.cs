using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class MinedMatrixTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 1, 2, 0, 2];

    [Fact]
    public void MinerWithGradient_AttachesItsMatrixForOneLossOnly()
    {
        var e = Fixtures.RandomEmbeddings(11, Labels.Length, 4);
        var tuples = new BatchHardMiner().Mine(e, Labels);
        Assert.Null(MinedMatrix.Take(tuples, new LpDistance(power: 2f), e, null));
        // The failed look-up above consumed the entry: mine again.
        tuples = new BatchHardMiner().Mine(e, Labels);
        var m = MinedMatrix.Take(tuples, new LpDistance(), e, null);
        Assert.NotNull(m);
        Assert.True(m!.RequiresGrad);
        Assert.Null(MinedMatrix.Take(tuples, new LpDistance(), e, null));
        // Other embeddings (even with equal values) never receive it.
        tuples = new BatchHardMiner().Mine(e, Labels);
        Assert.Null(MinedMatrix.Take(tuples, new LpDistance(), e.Detach(), null));
    }

    [Fact]
    public void MinerWithoutGradient_AttachesNothing()
    {
        var e = Fixtures.RandomEmbeddings(12, Labels.Length, 4, requiresGrad: false);
        var tuples = new BatchHardMiner().Mine(e, Labels);
        Assert.Null(MinedMatrix.Take(tuples, new LpDistance(), e, null));
        var g = Fixtures.RandomEmbeddings(12, Labels.Length, 4);
        using (Tensor.NoGrad())
        {
            tuples = new BatchHardMiner().Mine(g, Labels);
        }
        Assert.Null(MinedMatrix.Take(tuples, new LpDistance(), g, null));
    }

    [Fact]
    public void DistancesWithTheSameOptions_AreInterchangeable()
    {
        Assert.True(new LpDistance().ComputesSameAs(new LpDistance()));
        Assert.False(new LpDistance().ComputesSameAs(new LpDistance(p: 1f)));
        Assert.False(new LpDistance().ComputesSameAs(new LpDistance(normalizeEmbeddings: false)));
        Assert.False(new LpDistance().ComputesSameAs(new CosineSimilarity()));
        Assert.True(new CosineSimilarity().ComputesSameAs(new CosineSimilarity()));
        Assert.False(new CosineSimilarity().ComputesSameAs(new CosineSimilarity(power: 2f)));
        var dot = new DotProductSimilarity(normalizeEmbeddings: false);
        Assert.True(dot.ComputesSameAs(dot));
        Assert.False(dot.ComputesSameAs(new DotProductSimilarity(normalizeEmbeddings: false)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SharedMatrix_GivesTheSameLossAndGradientAsRecomputing(bool cosine)
    {
        Distance Dist() => cosine ? new CosineSimilarity() : new LpDistance();
        var shared = Fixtures.RandomEmbeddings(13, Labels.Length, 5);
        var tuples = new BatchHardMiner(Dist()).Mine(shared, Labels);
        var sharedLoss = new TripletMarginLoss(0.1f, distance: Dist()).Compute(shared, Labels, tuples);
        sharedLoss.Backward();

        var own = Fixtures.RandomEmbeddings(13, Labels.Length, 5);
        // Tuples mined on a copy: the loss must compute the matrix itself.
        var ownTuples = new BatchHardMiner(Dist()).Mine(own.Detach(), Labels);
        var ownLoss = new TripletMarginLoss(0.1f, distance: Dist()).Compute(own, Labels, ownTuples);
        ownLoss.Backward();

        Assert.Equal(ownLoss.Item(), sharedLoss.Item());
        Assert.Equal(own.Grad!.ToArray(), shared.Grad!.ToArray());
    }

    [Fact]
    public void BatchHardTripletLoss_MatchesDoubleReference()
    {
        const double Margin = 0.1;
        var e = Fixtures.RandomEmbeddings(14, Labels.Length, 4);
        var loss = new TripletMarginLoss((float)Margin).Compute(e, Labels, new BatchHardMiner().Mine(e, Labels));
        var d = Reference.NormalizedEuclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4);
        var values = new List<double>();
        for (int a = 0; a < Labels.Length; a++)
        {
            double hardestPos = double.NegativeInfinity, hardestNeg = double.PositiveInfinity;
            for (int j = 0; j < Labels.Length; j++)
            {
                if (j != a && Labels[j] == Labels[a])
                {
                    hardestPos = Math.Max(hardestPos, d[a, j]);
                }
                else if (Labels[j] != Labels[a])
                {
                    hardestNeg = Math.Min(hardestNeg, d[a, j]);
                }
            }
            if (!double.IsInfinity(hardestPos) && !double.IsInfinity(hardestNeg))
            {
                values.Add(Reference.Relu(hardestPos - hardestNeg + Margin));
            }
        }
        Assert.Equal(Reference.AvgNonZero(values), loss.Item(), 5);
    }

    [Fact]
    public void SeparateReferenceSet_SharesOnlyWithTheSameReference()
    {
        var e = Fixtures.RandomEmbeddings(15, 4, 3);
        var r = Fixtures.RandomEmbeddings(16, 6, 3);
        int[] labels = [0, 1, 2, 0], refLabels = [0, 0, 1, 1, 2, 2];
        var tuples = new BatchHardMiner().Mine(e, labels, r, refLabels);
        Assert.Null(MinedMatrix.Take(tuples, new LpDistance(), e, null));
        tuples = new BatchHardMiner().Mine(e, labels, r, refLabels);
        Assert.NotNull(MinedMatrix.Take(tuples, new LpDistance(), e, r));
    }
}

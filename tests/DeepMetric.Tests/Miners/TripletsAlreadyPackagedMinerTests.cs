using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class TripletsAlreadyPackagedMinerTests
{
    [Fact]
    public void ReturnsConsecutiveTriplets()
    {
        var e = Fixtures.RandomEmbeddings(1, 6, 2, false);
        var t = (TripletTuples)new TripletsAlreadyPackagedMiner().Mine(e, [0, 0, 1, 5, 5, 2]);
        Assert.Equal([(0, 1, 2), (3, 4, 5)], MinerCheck.Set(t));
    }

    [Fact]
    public void BadBatches()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TripletsAlreadyPackagedMiner().Mine(Fixtures.RandomEmbeddings(1, 4, 2, false), [0, 0, 1, 1]));
        Assert.Contains("multiple of 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TripletsAlreadyPackagedMiner().Mine(
            Fixtures.RandomEmbeddings(1, 3, 2, false), [0, 0, 1], Fixtures.RandomEmbeddings(2, 3, 2, false), [0, 0, 1]));
        Assert.Equal(0, new TripletsAlreadyPackagedMiner().Mine(DeepMetric.Tensors.Tensor.Zeros(0, 2), []).Count);
    }

    [Fact]
    public void FeedsTripletLoss()
    {
        var e = Fixtures.RandomEmbeddings(3, 9, 3);
        int[] l = [0, 0, 1, 2, 2, 0, 1, 1, 2];
        var t = new TripletsAlreadyPackagedMiner().Mine(e, l);
        var loss = new TripletMarginLoss(0.1f, reducer: new MeanReducer()).Compute(e, l, t);
        loss.Backward();
        Fixtures.AssertFinite(e.Grad);
    }
}

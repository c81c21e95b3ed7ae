using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Wrappers;

namespace DeepMetric.Tests.Wrappers;

public sealed class MultipleLossesTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    [Fact]
    public void WeightedSum_MatchesBruteForce()
    {
        var e = Fixtures.RandomEmbeddings(1, Labels.Length, 3);
        var all = MinerCheck.Euclid(e, e);
        var pos = new List<(int, int)>();
        var neg = new List<(int, int)>();
        var trip = new List<double>();
        for (int a = 0; a < Labels.Length; a++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                if (a != j)
                {
                    (Labels[a] == Labels[j] ? pos : neg).Add((a, j));
                }
            }
        }
        foreach (var (a, p) in pos)
        {
            foreach (var (a2, n) in neg.Where(x => x.Item1 == a))
            {
                trip.Add(Reference.Relu(all[a, p] - all[a2, n] + 0.3));
            }
        }
        double expected = (0.5 * ContrastiveRef.Loss(e, e, pos, neg)) + (2 * trip.Average());
        var loss = new MultipleLosses([ContrastiveRef.Make(), new TripletMarginLoss(0.3f, reducer: new MeanReducer())], [0.5f, 2f]);
        Assert.Equal(expected, loss.Compute(e, Labels).Item(), 5);
        Assert.Equal(2, loss.ComputeTerms(e, Labels).Count);
    }

    [Fact]
    public void PerLossMiner_IsUsed()
    {
        var e = Fixtures.RandomEmbeddings(2, Labels.Length, 3);
        var miner = new BatchHardMiner();
        var inner = new TripletMarginLoss(0.3f, reducer: new MeanReducer());
        var t = (TripletTuples)miner.Mine(e, Labels);
        var d = MinerCheck.Euclid(e, e);
        double expected = Enumerable.Range(0, t.Count).Average(k => Reference.Relu(d[t.Anchors[k], t.Positives[k]] - d[t.Anchors[k], t.Negatives[k]] + 0.3));
        var loss = new MultipleLosses([inner], miners: [miner]);
        Assert.Equal(expected, loss.Compute(e, Labels).Item(), 5);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new MultipleLosses([ContrastiveRef.Make(), new TripletMarginLoss(0.3f, reducer: new MeanReducer())], [1f, 0.5f]);
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])]);
    }

    [Fact]
    public void EdgeCases()
    {
        var one = Fixtures.RandomEmbeddings(1, 1, 2);
        var v = new MultipleLosses([ContrastiveRef.Make()]).Compute(one, [0]);
        Assert.Equal(0f, v.Item());
        v.Backward();
        Fixtures.AssertAllZero(one.Grad);
        Assert.Throws<ArgumentException>(() => new MultipleLosses([]));
        Assert.Throws<ArgumentException>(() => new MultipleLosses([new ContrastiveLoss()], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => new MultipleLosses([new ContrastiveLoss()], [float.NaN]));
        Assert.Throws<ArgumentException>(() => new MultipleLosses([new ContrastiveLoss()], miners: [null, null]));
        Assert.Throws<ArgumentNullException>(() => new MultipleLosses(null!));
        Assert.Equal(2, new MultipleLosses([new ContrastiveLoss(), new ContrastiveLoss()]).NamedChildren().Count());
    }
}

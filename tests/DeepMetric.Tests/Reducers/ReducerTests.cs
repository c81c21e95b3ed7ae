using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.Reducers;

public sealed class ReducerTests
{
    private static LossTerm Term(float[] values, int[]? anchors = null)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return new LossTerm("t", t, LossTermKind.Element, anchors);
    }

    [Fact]
    public void BasicReducers_MatchHandComputation()
    {
        float[] v = [0f, 2f, -1f, 3f, 0f];
        int[] labels = [0, 1, 0, 1, 0];
        Assert.Equal(0.8f, new MeanReducer().Reduce(Term(v), labels).Item(), 5);
        Assert.Equal(4f, new SumReducer().Reduce(Term(v), labels).Item(), 5);
        Assert.Equal(2.5f, new AvgNonZeroReducer().Reduce(Term(v), labels).Item(), 5);   // (2 + 3) / 2
        Assert.Equal(2f, new DivisorReducer(2f).Reduce(Term(v), labels).Item(), 5);
        Assert.Equal(2f / 3f, new ThresholdReducer(low: -0.5f, high: 2.5f).Reduce(Term(v), labels).Item(), 5); // {0,2,0}
        Assert.Equal(2.5f, new ThresholdReducer(low: 1f).Reduce(Term(v), labels).Item(), 5);
    }

    [Fact]
    public void AvgNonZero_GradientIsOneOverCountOnNonZeros()
    {
        var term = Term([0f, 2f, -1f, 3f]);
        new AvgNonZeroReducer().Reduce(term, [0, 0, 0, 0]).Backward();
        Assert.Equal(new[] { 0f, 0.5f, 0f, 0.5f }, term.Values.Grad!.ToArray());
    }

    [Fact]
    public void ClassWeighted_WeightsByAnchorLabel()
    {
        int[] labels = [0, 1, 1];
        var r = new ClassWeightedReducer([2f, 0.5f]).Reduce(Term([1f, 4f, 6f], [0, 1, 2]), labels);
        Assert.Equal(((1 * 2) + (4 * 0.5) + (6 * 0.5)) / 3.0, r.Item(), 5);
    }

    [Fact]
    public void PerAnchor_AveragesWithinAnchorFirst()
    {
        // anchor 0: values 1, 3 (mean 2); anchor 2: value 5 → mean of means 3.5
        var r = new PerAnchorReducer().Reduce(Term([1f, 5f, 3f], [0, 2, 0]), [0, 0, 0]);
        Assert.Equal(3.5f, r.Item(), 5);
        var nz = new PerAnchorReducer(nonZeroOnly: true).Reduce(Term([0f, 5f, 3f, 0f], [0, 2, 0, 1]), [0, 0, 0]);
        Assert.Equal(4f, nz.Item(), 5);
    }

    [Fact]
    public void EmptyTerms_ReduceToZeroWithZeroGradient()
    {
        foreach (var reducer in new Reducer[] { new MeanReducer(), new SumReducer(), new AvgNonZeroReducer(), new PerAnchorReducer() })
        {
            var term = Term([], []);
            var r = reducer.Reduce(term, []);
            Assert.Equal(0f, r.Item());
            Assert.False(float.IsNaN(r.Item()));
        }
        var allZero = Term([0f, 0f]);
        var z = new AvgNonZeroReducer().Reduce(allZero, [0, 0]);
        z.Backward();
        Assert.Equal(new[] { 0f, 0f }, allZero.Values.Grad!.ToArray());
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        Assert.Throws<ArgumentException>(() => new ThresholdReducer());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DivisorReducer(0));
        var ex = Assert.Throws<ArgumentException>(() => new ClassWeightedReducer([1f]).Reduce(Term([1f]), [0]));
        Assert.Contains("anchor", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ClassWeightedReducer([1f]).Reduce(Term([1f], [0]), [3]));
    }
}

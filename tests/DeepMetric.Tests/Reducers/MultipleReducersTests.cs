using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Reducers;

public sealed class MultipleReducersTests
{
    private static LossTerm Term(string name, float[] values, LossTermKind kind = LossTermKind.Element)
    {
        var t = values.Length == 1 && kind == LossTermKind.AlreadyReduced ? Tensor.Scalar(values[0]) : Tensor.FromArray(values);
        t.RequiresGrad = true;
        return new LossTerm(name, t, kind);
    }

    [Fact]
    public void EachTermUsesItsNamedReducer_OthersTheDefault()
    {
        var r = new MultipleReducers(new Dictionary<string, Reducer>
        {
            ["pos_loss"] = new AvgNonZeroReducer(),
            ["neg_loss"] = new SumReducer(),
        });
        float[] v = [0f, 2f, 0f, 4f];
        Assert.Equal(3f, r.Reduce(Term("pos_loss", v), [0, 0, 0, 0]).Item(), 6);   // (2 + 4) / 2
        Assert.Equal(6f, r.Reduce(Term("neg_loss", v), [0, 0, 0, 0]).Item(), 6);   // 2 + 4
        Assert.Equal(1.5f, r.Reduce(Term("other", v), [0, 0, 0, 0]).Item(), 6);   // default mean 6 / 4
        Assert.IsType<MeanReducer>(r.Default);
        Assert.IsType<SumReducer>(r.For("neg_loss"));
        Assert.Same(r.Default, r.For("Neg_Loss"));                                   // names are case-sensitive
    }

    [Fact]
    public void CustomDefault_AndGradientComesFromTheNamedReducer()
    {
        var r = new MultipleReducers(new Dictionary<string, Reducer> { ["a"] = new MeanReducer() }, new SumReducer());
        var a = Term("a", [1f, 3f]);
        var b = Term("b", [1f, 3f]);
        Ops.Add(r.Reduce(a, [0, 0]), r.Reduce(b, [0, 0])).Backward();
        Assert.Equal(new[] { 0.5f, 0.5f }, a.Values.Grad!.ToArray());
        Assert.Equal(new[] { 1f, 1f }, b.Values.Grad!.ToArray());
    }

    [Fact]
    public void EmptyAndAlreadyReducedTerms_PassThrough()
    {
        var r = new MultipleReducers(new Dictionary<string, Reducer> { ["x"] = new AvgNonZeroReducer() });
        var empty = Term("x", []);
        var z = r.Reduce(empty, []);
        Assert.Equal(0f, z.Item());
        z.Backward();
        Assert.Empty(empty.Values.Grad!.ToArray());
        Assert.Equal(-2f, r.Reduce(Term("x", [-2f], LossTermKind.AlreadyReduced), [0]).Item());
    }

    /// <summary>
    /// ContrastiveLoss (L2 on normalised embeddings, m⁺ = 0, m⁻ = 1) with pos_loss → AvgNonZero and neg_loss → Mean:
    /// L = avg_{d⁺ &gt; 0} d⁺  +  mean over all negative pairs of [1 − d⁻]₊, by double loops.
    /// </summary>
    [Fact]
    public void ContrastiveLoss_PerSubLossReduction_MatchesDoubleLoop()
    {
        int[] labels = [0, 0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(21, labels.Length, 3);
        var d = Reference.NormalizedEuclidean(e.ToArray(), labels.Length, e.ToArray(), labels.Length, 3);
        var pos = new List<double>();
        var neg = new List<double>();
        for (int i = 0; i < labels.Length; i++)
        {
            for (int j = 0; j < labels.Length; j++)
            {
                if (i == j)
                {
                    continue;
                }
                if (labels[i] == labels[j])
                {
                    pos.Add(d[i, j]);
                }
                else
                {
                    neg.Add(Reference.Relu(1 - d[i, j]));
                }
            }
        }
        double expected = Reference.AvgNonZero(pos) + neg.Average();
        var reducer = new MultipleReducers(new Dictionary<string, Reducer>
        {
            ["pos_loss"] = new AvgNonZeroReducer(),
            ["neg_loss"] = new MeanReducer(),
        });
        var loss = new ContrastiveLoss(reducer: reducer).Compute(e, labels);
        Assert.Equal(expected, loss.Item(), 5);
        GradCheck.Check(x => new ContrastiveLoss(reducer: reducer).Compute(x[0], labels), [GradCheck.Random(22, [6, 3])]);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new MultipleReducers(null!));
        Assert.Equal("reducers", Assert.Throws<ArgumentException>(() => new MultipleReducers(new Dictionary<string, Reducer> { [""] = new MeanReducer() })).ParamName);
        Assert.Equal("reducers", Assert.Throws<ArgumentException>(() => new MultipleReducers(new Dictionary<string, Reducer> { ["a"] = null! })).ParamName);
        Assert.Throws<ArgumentNullException>(() => new MultipleReducers(new Dictionary<string, Reducer>()).For(null!));
    }
}

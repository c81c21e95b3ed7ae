using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Regularizers;

/// <summary>Tests of the weight regularizers (one section per type) against double-precision references.</summary>
public sealed class WeightRegularizerTests
{
    private static double[][] Rows(Tensor w) => Reference.Rows(w.ToArray(), w.Dim(0), w.Dim(1));

    private static double CenterInvariantRef(double[][] w)
    {
        var sq = w.Select(r => Reference.Dot(r, r)).ToArray();
        double mean = sq.Average();
        return sq.Sum(v => (v - mean) * (v - mean)) / (4 * w.Length);
    }

    private static double RegularFaceRef(double[][] w)
    {
        var n = w.Select(Reference.Normalize).ToArray();
        double s = 0;
        for (int i = 0; i < n.Length; i++)
        {
            double best = double.NegativeInfinity;
            for (int j = 0; j < n.Length; j++)
            {
                if (j != i)
                {
                    best = Math.Max(best, Reference.Dot(n[i], n[j]));
                }
            }
            s += n.Length == 1 ? 0 : best;
        }
        return s / n.Length;
    }

    private static double SparseCentersRef(double[][] w, int c, int k)
    {
        var n = w.Select(Reference.Normalize).ToArray();
        double s = 0;
        for (int cls = 0; cls < c; cls++)
        {
            for (int t = 0; t < k; t++)
            {
                for (int u = t + 1; u < k; u++)
                {
                    s += Math.Sqrt(2 + 1e-5 - (2 * Reference.Dot(n[(cls * k) + t], n[(cls * k) + u])));
                }
            }
        }
        return k == 1 ? 0 : s / (c * k * (k - 1));
    }

    private static double ZeroMeanRef(double[][] w) => w.Average(r => Math.Abs(r.Sum()));

    [Theory]
    [InlineData(1UL, 5, 3)]
    [InlineData(2UL, 2, 4)]
    [InlineData(3UL, 1, 3)]
    public void Values_MatchReference(ulong seed, int c, int d)
    {
        var w = Fixtures.RandomEmbeddings(seed, c, d, false);
        var rows = Rows(w);
        Assert.Equal(CenterInvariantRef(rows), new CenterInvariantRegularizer().Compute(w).Item(), 5);
        Assert.Equal(RegularFaceRef(rows), new RegularFaceRegularizer().Compute(w).Item(), 5);
        Assert.Equal(ZeroMeanRef(rows) * 0.5, new ZeroMeanRegularizer(0.5f).Compute(w).Item(), 5);
        Assert.Equal(SparseCentersRef(rows, c, 1), new SparseCentersRegularizer(c, 1).Compute(w).Item(), 5);
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    [InlineData(1, 4)]
    public void SparseCenters_MatchesReference(int c, int k)
    {
        var w = Fixtures.RandomEmbeddings(7, c * k, 3, false);
        Assert.Equal(2 * SparseCentersRef(Rows(w), c, k), new SparseCentersRegularizer(c, k, weight: 2f).Compute(w).Item(), 5);
    }

    [Fact]
    public void HandWorked()
    {
        // Norms² 1 and 9: r = 5, deviations ±4 → (16 + 16) / (4·2) = 4.
        var w = Tensor.FromArray([1f, 0f, 0f, 3f], 2, 2);
        Assert.Equal(4f, new CenterInvariantRegularizer().Compute(w).Item(), 5);
        // Orthogonal rows: cos 0; rows sum to 1 and 3 → mean 2.
        Assert.Equal(0f, new RegularFaceRegularizer().Compute(w).Item(), 6);
        Assert.Equal(2f, new ZeroMeanRegularizer().Compute(w).Item(), 6);
        // Two orthogonal centres of one class: √(2 + 1e-5) / (1·2·1).
        Assert.Equal(Math.Sqrt(2 + 1e-5) / 2, new SparseCentersRegularizer(1, 2).Compute(w).Item(), 5);
    }

    public static TheoryData<string> Names() => ["center", "regularface", "sparse", "zeromean"];

    private static WeightRegularizer Make(string name) => name switch
    {
        "center" => new CenterInvariantRegularizer(),
        "regularface" => new RegularFaceRegularizer(),
        "sparse" => new SparseCentersRegularizer(2, 2),
        _ => new ZeroMeanRegularizer(),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradients_MatchFiniteDifferences(string name)
    {
        var reg = Make(name);
        GradCheck.Check(x => reg.Compute(x[0]), [GradCheck.Random(11, [4, 3])]);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void DuplicatedRows_GiveFiniteGradient(string name)
    {
        var w = Tensor.FromArray([1f, 2f, 1f, 2f, 1f, 2f, 1f, 2f], 4, 2);
        w.RequiresGrad = true;
        var v = Make(name).Compute(w);
        Assert.True(float.IsFinite(v.Item()));
        v.Backward();
        Fixtures.AssertFinite(w.Grad);
    }

    [Fact]
    public void SingleClass_RegularFaceIsZeroWithZeroGradient()
    {
        var w = Fixtures.RandomEmbeddings(3, 1, 4);
        var v = new RegularFaceRegularizer().Compute(w);
        Assert.Equal(0f, v.Item());
        v.Backward();
        Fixtures.AssertAllZero(w.Grad);
    }

    [Fact]
    public void Term_IsAlreadyReduced()
    {
        var w = Fixtures.RandomEmbeddings(4, 3, 2, false);
        var term = new ZeroMeanRegularizer().Term(w);
        Assert.Equal(LossTermKind.AlreadyReduced, term.Kind);
        Assert.Equal("ZeroMeanRegularizer", term.Name);
        Assert.Equal(term.Values.Item(), new MeanReducer().Reduce(term, [0]).Item());
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroMeanRegularizer(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CenterInvariantRegularizer(float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SparseCentersRegularizer(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SparseCentersRegularizer(2, 0));
        Assert.Throws<ArgumentException>(() => new SparseCentersRegularizer(2, 2).Compute(Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => new ZeroMeanRegularizer().Compute(Tensor.Zeros(3)));
        Assert.Throws<ArgumentException>(() => new ZeroMeanRegularizer().Compute(Tensor.Zeros(0, 2)));
        Assert.Throws<ArgumentNullException>(() => new ZeroMeanRegularizer().Compute(null!));
    }
}

using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

// The fused per-triplet node of TripletMarginLoss (no swap): values and the matrix gradient against double loops,
// the embedding gradient by finite differences, and the loss on mined triplets against a double loop.
public sealed class TripletViolationTests
{
    private static Tensor RandomMatrix(ulong seed, int rows, int cols)
    {
        var rng = new Prng(seed);
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = rng.NextFloat() * 2f;
        }
        var m = Tensor.FromArray(data, rows, cols);
        m.RequiresGrad = true;
        return m;
    }

    // Runs of a shared (anchor, positive), a positive revisited after other triplets, and a repeated triplet.
    private static TripletTuples MixedTriplets(int rows, int cols, ulong seed)
    {
        var rng = new Prng(seed);
        List<int> a = [], p = [], n = [];
        for (int k = 0; k < 200; k++)
        {
            int anchor = rng.NextInt(rows), positive = rng.NextInt(cols);
            int run = 1 + rng.NextInt(6);
            for (int r = 0; r < run; r++)
            {
                a.Add(anchor);
                p.Add(positive);
                n.Add(rng.NextInt(cols));
            }
        }
        a.Add(a[0]);
        p.Add(p[0]);
        n.Add(n[0]);
        return new TripletTuples([.. a], [.. p], [.. n]);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void ValuesAndMatrixGradient_MatchDoubleLoop(bool inverted, bool hinge)
    {
        const int Rows = 9, Cols = 13;
        const float Margin = 0.3f;
        var m = RandomMatrix(1, Rows, Cols);
        var t = MixedTriplets(Rows, Cols, 2);
        var v = TripletViolation.Compute(m, t, Margin, inverted, hinge);
        // Weight each value differently so a misplaced gradient cannot cancel out.
        var weights = Enumerable.Range(0, t.Count).Select(i => 0.5f + (i % 7 * 0.25f)).ToArray();
        Ops.Sum(Ops.Mul(v, Tensor.FromArray(weights))).Backward();

        var d = m.ToArray();
        var expectedGrad = new double[Rows * Cols];
        var got = v.ToArray();
        Assert.Equal(t.Count, got.Length);
        for (int i = 0; i < t.Count; i++)
        {
            double ap = d[(t.Anchors[i] * Cols) + t.Positives[i]], an = d[(t.Anchors[i] * Cols) + t.Negatives[i]];
            double violation = Margin - (inverted ? ap - an : an - ap);
            double expected = hinge ? Math.Max(0, violation) : violation;
            Assert.Equal(expected, got[i], 5);
            if (!hinge || violation > 0)
            {
                double sign = inverted ? -1 : 1;
                expectedGrad[(t.Anchors[i] * Cols) + t.Positives[i]] += sign * weights[i];
                expectedGrad[(t.Anchors[i] * Cols) + t.Negatives[i]] -= sign * weights[i];
            }
        }
        var grad = m.Grad!.ToArray();
        for (int k = 0; k < grad.Length; k++)
        {
            Assert.Equal(expectedGrad[k], grad[k], 4);
        }
    }

    [Fact]
    public void NoTriplets_GiveEmptyValuesAndZeroGradient()
    {
        var m = RandomMatrix(3, 4, 4);
        var v = TripletViolation.Compute(m, TripletTuples.Empty, 0.2f, false, true);
        Assert.Equal(0, v.Size);
        var loss = new AvgNonZeroReducer().Reduce(new LossTerm("t", v, LossTermKind.Triplet, []), [0, 0, 0, 0]);
        loss.Backward();
        Assert.Equal(0f, loss.Item());
        Fixtures.AssertAllZero(m.Grad);
    }

    [Fact]
    public void IndexOutsideTheMatrix_Throws()
    {
        var m = RandomMatrix(4, 3, 5);
        var ex = Assert.Throws<ArgumentException>(() => TripletViolation.Compute(m, new TripletTuples([0, 1], [1, 5], [2, 3]), 0.2f, false, true));
        Assert.Equal("triplets", ex.ParamName);
        Assert.Throws<ArgumentException>(() => TripletViolation.Compute(m, new TripletTuples([3], [1], [2]), 0.2f, false, true));
    }

    public static TheoryData<bool, bool, TripletKind> MinedCases()
    {
        var data = new TheoryData<bool, bool, TripletKind>();
        foreach (bool cosine in new[] { false, true })
        {
            foreach (bool separate in new[] { false, true })
            {
                data.Add(cosine, separate, TripletKind.SemiHard);
                data.Add(cosine, separate, TripletKind.All);
            }
        }
        return data;
    }

    // The loss on mined triplets, in double from the embeddings (normalised Euclidean distance or cosine similarity).
    [Theory]
    [MemberData(nameof(MinedCases))]
    public void LossOnMinedTriplets_MatchesDoubleLoop(bool cosine, bool separate, TripletKind kind)
    {
        const float Margin = 0.4f;
        int[] labels = [.. Enumerable.Range(0, 40).Select(i => i * 3 % 4)];
        int[] refLabels = separate ? [.. Enumerable.Range(0, 27).Select(i => i % 5)] : labels;
        var e = Fixtures.RandomEmbeddings(11, labels.Length, 5);
        var r = separate ? Fixtures.RandomEmbeddings(12, refLabels.Length, 5) : null;
        Distance distance = cosine ? new CosineSimilarity() : new LpDistance();
        var miner = new TripletMarginMiner(Margin, kind, distance);
        var tuples = (TripletTuples)miner.Mine(e, labels, r, separate ? refLabels : null);
        Assert.True(tuples.Count > 100);
        var loss = new TripletMarginLoss(Margin, distance: distance).Compute(e, labels, tuples, r, separate ? refLabels : null);

        var ref_ = r ?? e;
        var d = cosine
            ? Reference.Similarities(e.ToArray(), labels.Length, ref_.ToArray(), refLabels.Length, 5, normalize: true)
            : Reference.Euclidean(e.ToArray(), labels.Length, ref_.ToArray(), refLabels.Length, 5, normalize: true);
        var values = Enumerable.Range(0, tuples.Count).Select(i =>
        {
            double ap = d[tuples.Anchors[i], tuples.Positives[i]], an = d[tuples.Anchors[i], tuples.Negatives[i]];
            return Reference.Relu(Margin - (cosine ? ap - an : an - ap));
        });
        Assert.Equal(Reference.AvgNonZero(values), loss.Item(), 5);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void GradientOnMinedTriplets_MatchesFiniteDifferences(bool cosine, bool separate)
    {
        int[] labels = [0, 1, 0, 1, 2, 0];
        int[] refLabels = separate ? [1, 0, 2, 0, 1] : labels;
        Distance distance = cosine ? new CosineSimilarity() : new LpDistance();
        var e = GradCheck.Random(21, [labels.Length, 3]);
        var r = separate ? GradCheck.Random(22, [refLabels.Length, 3]) : null;
        var tuples = new TripletMarginMiner(2f, TripletKind.All, distance).Mine(e, labels, r, separate ? refLabels : null);
        Assert.True(tuples.Count > 0);
        // A large margin keeps every violation away from the hinge's kink, so finite differences are reliable.
        var loss = new TripletMarginLoss(2f, distance: distance, reducer: new SumReducer());
        Tensor[] inputs = separate ? [e, r!] : [e];
        GradCheck.Check(x => loss.Compute(x[0], labels, tuples, separate ? x[1] : null, separate ? refLabels : null), inputs);
    }

    [Fact]
    public void SmoothLossOnMinedTriplets_MatchesFiniteDifferences()
    {
        int[] labels = [0, 1, 0, 1, 2, 0];
        var e = GradCheck.Random(23, [labels.Length, 3]);
        var tuples = new TripletMarginMiner(0.5f, TripletKind.All).Mine(e, labels);
        var loss = new TripletMarginLoss(0.5f, smoothLoss: true, reducer: new MeanReducer());
        GradCheck.Check(x => loss.Compute(x[0], labels, tuples), [e]);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3, 4, 5 })]   // all distinct: nothing mined
    [InlineData(new[] { 2, 2, 2, 2, 2, 2 })]   // one class
    public void NothingMined_GivesZeroAndZeroGradient(int[] labels)
    {
        var e = Fixtures.RandomEmbeddings(30, labels.Length, 3);
        var tuples = new TripletMarginMiner(0.2f, TripletKind.SemiHard).Mine(e, labels);
        Assert.Equal(0, tuples.Count);
        var loss = new TripletMarginLoss(0.2f).Compute(e, labels, tuples);
        loss.Backward();
        Assert.Equal(0f, loss.Item());
        Fixtures.AssertAllZero(e.Grad);
    }

    [Fact]
    public void DuplicatedEmbeddings_OnMinedTriplets_GiveFiniteGradient()
    {
        var e = LossAssert.TwoDuplicatedPairs();
        e.RequiresGrad = true;
        // Each anchor's negative is its duplicate (distance 0).
        int[] labels = [0, 1, 0, 1];
        var tuples = new TripletMarginMiner(0.5f, TripletKind.All).Mine(e, labels);
        Assert.True(tuples.Count > 0);
        var loss = new TripletMarginLoss(0.5f).Compute(e, labels, tuples);
        loss.Backward();
        Assert.True(loss.Item() > 0);
        Fixtures.AssertFinite(e.Grad);
    }
}

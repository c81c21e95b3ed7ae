using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class DynamicSoftMarginLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0];

    private static List<double> Deltas(double[,] dist, int[] labels, int[] refLabels, bool sameSet)
    {
        List<double> deltas = [];
        for (int a = 0; a < labels.Length; a++)
        {
            for (int p = 0; p < refLabels.Length; p++)
            {
                if ((sameSet && a == p) || labels[a] != refLabels[p])
                {
                    continue;
                }
                for (int n = 0; n < refLabels.Length; n++)
                {
                    if (refLabels[n] != labels[a])
                    {
                        deltas.Add(dist[a, p] - dist[a, n]);
                    }
                }
            }
        }
        return deltas;
    }

    private static int Bin(double v, double min, int bins) => Math.Clamp((int)Math.Floor((v - min) / (-2 * min / bins)), 0, bins - 1);

    // PML's soft binning: u = (Δ − min)/w puts 1 − frac(u) in bin ⌊u⌋ and frac(u) in the next one (raw counts).
    private static double[] Counts(List<double> deltas, double min, int bins)
    {
        var h = new double[bins];
        double w = -2 * min / bins;
        foreach (double v in deltas)
        {
            double u = (v - min) / w, f = Math.Floor(u);
            if (f < 0 || f >= bins)
            {
                h[f < 0 ? 0 : bins - 1] += 1;
                continue;
            }
            h[(int)f] += 1 - (u - f);
            h[Math.Min((int)f + 1, bins - 1)] += u - f;
        }
        return h;
    }

    private static double[] BatchHist(List<double> deltas, double min, int bins) => Counts(deltas, min, bins).Select(c => c / deltas.Count).ToArray();

    private static double[] Normalised(double[] h) => h.Select(v => v / h.Sum()).ToArray();

    // (1/T) Σ F̂(Δ)·Δ with F̂ the CDF of the given histogram.
    private static double Loss(List<double> deltas, double[] hist, double min)
    {
        return deltas.Average(v => hist.Take(Bin(v, min, hist.Length) + 1).Sum() * v);
    }

    [Fact]
    public void Value_MatchesDoubleLoop_OverTwoBatchesWithMomentum()
    {
        var loss = new DynamicSoftMarginLoss(-2f, 10, 0.3f);
        var e1 = Fixtures.RandomEmbeddings(1, Labels.Length, 4);
        var e2 = Fixtures.RandomEmbeddings(2, Labels.Length, 4);
        var d1 = Deltas(Reference.NormalizedEuclidean(e1.ToArray(), 6, e1.ToArray(), 6, 4), Labels, Labels, true);
        var d2 = Deltas(Reference.NormalizedEuclidean(e2.ToArray(), 6, e2.ToArray(), 6, 4), Labels, Labels, true);
        var h1 = BatchHist(d1, -2, 10);
        Assert.Equal(Loss(d1, h1, -2), loss.Compute(e1, Labels).Item(), 5);
        // PML mixes the raw soft counts of the batch in, then normalises the sum.
        var h2 = Normalised(Counts(d2, -2, 10).Select((v, b) => (0.7 * h1[b]) + (0.3 * v)).ToArray());
        Assert.Equal(Loss(d2, h2, -2), loss.Compute(e2, Labels).Item(), 5);
        for (int b = 0; b < 10; b++)
        {
            Assert.Equal(h2[b], loss.Histogram.ToArray()[b], 5);
        }
    }

    [Fact]
    public void NormalizeBatchHistogram_MixesTheBatchPdfWithWeightMomentum()
    {
        var loss = new DynamicSoftMarginLoss(-2f, 10, 0.3f, normalizeBatchHistogram: true);
        var e1 = Fixtures.RandomEmbeddings(1, Labels.Length, 4);
        var e2 = Fixtures.RandomEmbeddings(2, Labels.Length, 4);
        var d1 = Deltas(Reference.NormalizedEuclidean(e1.ToArray(), 6, e1.ToArray(), 6, 4), Labels, Labels, true);
        var d2 = Deltas(Reference.NormalizedEuclidean(e2.ToArray(), 6, e2.ToArray(), 6, 4), Labels, Labels, true);
        var h1 = BatchHist(d1, -2, 10);
        loss.Compute(e1, Labels);
        var h2 = BatchHist(d2, -2, 10).Select((v, b) => (0.7 * h1[b]) + (0.3 * v)).ToArray();
        Assert.Equal(Loss(d2, h2, -2), loss.Compute(e2, Labels).Item(), 5);
    }

    [Fact]
    public void CosineSimilarity_AndSeparateReference_AndFewBins()
    {
        int[] labels = [0, 0, 0, 1, 2], refLabels = [0, 1, 1, 2, 0];
        var e = Fixtures.RandomEmbeddings(3, 5, 3);
        var r = Fixtures.RandomEmbeddings(4, 5, 3);
        var loss = new DynamicSoftMarginLoss(-1f, 4, distance: new CosineSimilarity());
        var cos = Reference.Cosine(e.ToArray(), 5, r.ToArray(), 5, 3);
        var negCos = new double[5, 5];
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                negCos[i, j] = -cos[i, j];    // Δ = s(a, n) − s(a, p)
            }
        }
        var deltas = Deltas(negCos, labels, refLabels, false);
        Assert.Equal(Loss(deltas, BatchHist(deltas, -1, 4), -1), loss.Compute(e, labels, refEmbeddings: r, refLabels: refLabels).Item(), 5);
    }

    [Fact]
    public void EvalMode_DoesNotUpdate_AndGradientMatchesFiniteDifferences()
    {
        var loss = new DynamicSoftMarginLoss();
        loss.Compute(Fixtures.RandomEmbeddings(5, Labels.Length, 3), Labels);
        var before = loss.Histogram.ToArray();
        loss.Eval();
        loss.Compute(Fixtures.RandomEmbeddings(6, Labels.Length, 3), Labels);
        Assert.Equal(before, loss.Histogram.ToArray());
        // The weights are constants of the step; away from bin edges the loss is linear in Δ with them.
        GradCheck.Check(x => loss.Compute(x[0], Labels), [GradCheck.Random(3, [Labels.Length, 3])], eps: 1e-4f);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    [InlineData(new[] { 5, 5, 5 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        var loss = new DynamicSoftMarginLoss();
        LossAssert.NothingToLearn(loss, labels, seed: 8);
        Fixtures.AssertAllZero(loss.Histogram);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        LossAssert.FiniteGradientOnDuplicates(new DynamicSoftMarginLoss(), LossAssert.TwoDuplicatedPairs(), [0, 0, 1, 1]);
    }

    [Fact]
    public void HistogramIsASavedBuffer_AndBadArgumentsThrow()
    {
        Assert.Equal("histogram", Assert.Single(new DynamicSoftMarginLoss().NamedBuffers()).Key);
        Assert.Empty(new DynamicSoftMarginLoss().NamedParameters());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicSoftMarginLoss(minVal: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicSoftMarginLoss(numBins: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicSoftMarginLoss(momentum: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicSoftMarginLoss(momentum: 1.5f));
    }
}

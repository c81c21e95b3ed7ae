using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Miners;

/// <summary>
/// Samples pairs so that their distances are spread uniformly (PyTorch Metric Learning's UniformHistogramMiner):
/// the values of the positive pairs are split into <see cref="NumBins"/> equal-width bins between their minimum and
/// maximum, and up to <see cref="PosPerBin"/> pairs are drawn from each bin without replacement (all of them when the
/// bin holds fewer); the negative pairs likewise with <see cref="NegPerBin"/>.
/// Defaults: 100 bins, 10 positive and 10 negative pairs per bin (PML's), <see cref="LpDistance"/>, seeded <see cref="Prng"/>.
/// </summary>
public sealed class UniformHistogramMiner : Miner, IRandomSource
{
    private readonly Prng _rng;

    /// <summary>The generator of the miner's random choices (saved in checkpoints).</summary>
    public Prng Rng => _rng;

    /// <summary>Creates the miner.</summary>
    /// <param name="numBins">Number of bins (≥ 1).</param>
    /// <param name="posPerBin">Positive pairs drawn per bin (≥ 0).</param>
    /// <param name="negPerBin">Negative pairs drawn per bin (≥ 0).</param>
    /// <param name="seed">Seed of the sampler.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public UniformHistogramMiner(int numBins = 100, int posPerBin = 10, int negPerBin = 10, ulong seed = 0, Distance? distance = null)
        : base(distance ?? new LpDistance())
    {
        Guard.AtLeast(numBins, 1);
        Guard.AtLeast(posPerBin, 0);
        Guard.AtLeast(negPerBin, 0);
        NumBins = numBins;
        PosPerBin = posPerBin;
        NegPerBin = negPerBin;
        _rng = new Prng(seed);
    }

    /// <summary>Number of bins.</summary>
    public int NumBins { get; }

    /// <summary>Positive pairs drawn per bin.</summary>
    public int PosPerBin { get; }

    /// <summary>Negative pairs drawn per bin.</summary>
    public int NegPerBin { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var (pos, neg) = batch.ValuedPairs();
        var (a1, p) = Sample(pos, PosPerBin);
        var (a2, n) = Sample(neg, NegPerBin);
        return new PairTuples(a1, p, a2, n);
    }

    /// <summary>The bin of <paramref name="v"/> among <paramref name="numBins"/> equal bins over [min, max] (the last bin is closed).</summary>
    internal static int Bin(float v, float min, float max, int numBins)
    {
        if (!(max > min))
        {
            return 0;
        }
        int b = (int)Math.Floor((v - (double)min) / ((double)max - min) * numBins);
        return Math.Clamp(b, 0, numBins - 1);
    }

    private (int[] Anchors, int[] Others) Sample(List<(float V, int I, int J)> pairs, int perBin)
    {
        if (pairs.Count == 0 || perBin == 0)
        {
            return ([], []);
        }
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var x in pairs)
        {
            min = Math.Min(min, x.V);
            max = Math.Max(max, x.V);
        }
        var bins = new List<int>[NumBins];
        for (int k = 0; k < pairs.Count; k++)
        {
            int b = Bin(pairs[k].V, min, max, NumBins);
            (bins[b] ??= []).Add(k);
        }
        List<int> anchors = [], others = [];
        foreach (var bin in bins)
        {
            if (bin is null)
            {
                continue;
            }
            int take = Math.Min(perBin, bin.Count);
            // Partial Fisher–Yates: the first `take` entries become a uniform sample without replacement.
            for (int t = 0; t < take; t++)
            {
                int s = _rng.NextInt(t, bin.Count);
                (bin[t], bin[s]) = (bin[s], bin[t]);
                anchors.Add(pairs[bin[t]].I);
                others.Add(pairs[bin[t]].J);
            }
        }
        return ([.. anchors], [.. others]);
    }
}

using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Miners;

/// <summary>
/// Distance-weighted sampling (Wu, Manmatha, Smola &amp; Krähenbühl, "Sampling Matters in Deep Embedding Learning",
/// ICCV 2017). On the unit sphere in ℝⁿ, pairwise distances of random points have density
/// q(d) ∝ d^(n−2) (1 − d²/4)^((n−3)/2); sampling each negative with probability ∝ q(d)⁻¹ spreads the negatives
/// over all distances instead of concentrating them near √2. For every positive pair (a, p) one negative of a is
/// drawn, giving the triplet (a, p, n).
/// </summary>
/// <remarks>
/// Defaults as the paper: Euclidean distance on L2-normalised embeddings (fixed), distances clipped below at
/// <see cref="Cutoff"/> = 0.5 (so near-duplicates do not dominate), and negatives at distance ≥
/// <see cref="NonzeroLossCutoff"/> = 1.4 never drawn (they would give no margin loss). Weights are computed in log
/// space and shifted by the row maximum, so large n cannot overflow. When every negative of an anchor is beyond the
/// non-zero-loss cutoff, the negative is drawn uniformly among them. Randomness comes from a seeded
/// <see cref="Prng"/>: the same seed and inputs give the same triplets.
/// </remarks>
public sealed class DistanceWeightedMiner : Miner, IRandomSource
{
    private readonly Prng _rng;

    /// <summary>The generator of the miner's random choices (saved in checkpoints).</summary>
    public Prng Rng => _rng;

    /// <summary>Creates the miner.</summary>
    /// <param name="cutoff">Lower clip of the distance in the weight (&gt; 0).</param>
    /// <param name="nonzeroLossCutoff">Negatives at least this far are never drawn (&gt; cutoff, ≤ 2).</param>
    /// <param name="seed">Seed of the sampler.</param>
    public DistanceWeightedMiner(float cutoff = 0.5f, float nonzeroLossCutoff = 1.4f, ulong seed = 0) : base(new LpDistance())
    {
        Guard.Positive(cutoff);
        if (!(nonzeroLossCutoff > cutoff) || nonzeroLossCutoff > 2f)
        {
            throw new ArgumentOutOfRangeException(nameof(nonzeroLossCutoff), nonzeroLossCutoff, "nonzeroLossCutoff must be > cutoff and ≤ 2 (the diameter of the unit sphere).");
        }
        Cutoff = cutoff;
        NonzeroLossCutoff = nonzeroLossCutoff;
        _rng = new Prng(seed);
    }

    /// <summary>Distances below this are clipped to it in the weight.</summary>
    public float Cutoff { get; }

    /// <summary>Negatives at this distance or farther are not drawn.</summary>
    public float NonzeroLossCutoff { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        double dim = batch.Dimension;
        List<int> a = [], p = [], n = [];
        var logW = new double[batch.Cols];
        var cum = new double[batch.Cols];
        List<int> negs = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            var row = batch.Row(i);
            negs.Clear();
            double max = double.NegativeInfinity;
            for (int j = 0; j < row.Length; j++)
            {
                logW[j] = double.NegativeInfinity;
                if (!batch.IsNegative(i, j))
                {
                    continue;
                }
                negs.Add(j);
                if (row[j] < NonzeroLossCutoff)
                {
                    double dist = Math.Max(row[j], Cutoff);
                    // log q(d)⁻¹ = −(n−2) log d − ((n−3)/2) log(1 − d²/4); d < 1.4 keeps the second log finite.
                    logW[j] = (-(dim - 2) * Math.Log(dist)) - ((dim - 3) / 2 * Math.Log(1 - (dist * dist / 4)));
                    max = Math.Max(max, logW[j]);
                }
            }
            if (negs.Count == 0)
            {
                continue;
            }
            double total = 0;
            for (int j = 0; j < row.Length; j++)
            {
                total += double.IsNegativeInfinity(logW[j]) ? 0 : Math.Exp(logW[j] - max);
                cum[j] = total;
            }
            for (int j = 0; j < row.Length; j++)
            {
                if (!batch.IsPositive(i, j))
                {
                    continue;
                }
                a.Add(i);
                p.Add(j);
                n.Add(total > 0 ? Draw(cum, total) : negs[_rng.NextInt(negs.Count)]);
            }
        }
        return new TripletTuples([.. a], [.. p], [.. n]);
    }

    private int Draw(double[] cum, double total)
    {
        double u = _rng.NextDouble() * total;
        int lo = 0, hi = cum.Length - 1;
        // First index whose cumulative weight exceeds u (zero-weight entries are never chosen).
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (cum[mid] > u)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        return lo;
    }
}

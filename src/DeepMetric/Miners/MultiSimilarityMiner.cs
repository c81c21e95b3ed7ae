using DeepMetric.Distances;
using DeepMetric.Internal;

namespace DeepMetric.Miners;

/// <summary>
/// The pair mining step of the multi-similarity loss (Wang et al., "Multi-Similarity Loss with General Pair
/// Weighting for Deep Metric Learning", CVPR 2019, Eqs. 8–9). With cosine similarity S, for each anchor a negative
/// is kept when S_an + ε &gt; min_p S_ap (it is nearly as close as the hardest positive) and a positive when
/// S_ap − ε &lt; max_n S_an (it is nearly as far as the hardest negative).
/// Defaults: ε = 0.1, <see cref="CosineSimilarity"/>. With a distance the same rule reads d_an − ε &lt; max_p d_ap
/// and d_ap + ε &gt; min_n d_an. Anchors without a positive or without a negative give no pairs.
/// </summary>
public sealed class MultiSimilarityMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="epsilon">The slack ε (≥ 0).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    public MultiSimilarityMiner(float epsilon = 0.1f, Distance? distance = null) : base(distance ?? new CosineSimilarity())
    {
        Guard.NonNegative(epsilon);
        Epsilon = epsilon;
    }

    /// <summary>The slack ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var d = batch.Distance;
        List<int> a1 = [], p = [], a2 = [], n = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            var row = batch.Row(i);
            float hardestPos = d.Closest, hardestNeg = d.Farthest;
            bool anyPos = false, anyNeg = false;
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsPositive(i, j))
                {
                    anyPos = true;
                    if (d.IsCloser(hardestPos, row[j]))
                    {
                        hardestPos = row[j];
                    }
                }
                else if (batch.IsNegative(i, j))
                {
                    anyNeg = true;
                    if (d.IsCloser(row[j], hardestNeg))
                    {
                        hardestNeg = row[j];
                    }
                }
            }
            if (!anyPos || !anyNeg)
            {
                continue;
            }
            for (int j = 0; j < row.Length; j++)
            {
                // Separation(closer, farther) > −ε: "closer" is at most ε farther than "farther".
                if (batch.IsPositive(i, j))
                {
                    if (d.Separation(hardestNeg, row[j]) > -Epsilon)
                    {
                        a1.Add(i);
                        p.Add(j);
                    }
                }
                else if (batch.IsNegative(i, j) && d.Separation(row[j], hardestPos) > -Epsilon)
                {
                    a2.Add(i);
                    n.Add(j);
                }
            }
        }
        return new PairTuples([.. a1], [.. p], [.. a2], [.. n]);
    }
}

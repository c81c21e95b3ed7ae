using DeepMetric.Distances;
using DeepMetric.Internal;

namespace DeepMetric.Miners;

/// <summary>
/// Keeps the pairs that violate a contrastive margin (as PyTorch Metric Learning's PairMarginMiner): positive pairs
/// farther than <see cref="PosMargin"/> and negative pairs closer than <see cref="NegMargin"/>. "Farther" and
/// "closer" follow the distance's direction, so with a similarity the rules read s_ap &lt; m⁺ and s_an &gt; m⁻.
/// Defaults: m⁺ = 0.2, m⁻ = 0.8, <see cref="LpDistance"/> (Euclidean on normalised embeddings).
/// </summary>
public sealed class PairMarginMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="posMargin">Positive pairs farther than this are kept.</param>
    /// <param name="negMargin">Negative pairs closer than this are kept.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public PairMarginMiner(float posMargin = 0.2f, float negMargin = 0.8f, Distance? distance = null) : base(distance ?? new LpDistance())
    {
        Guard.Finite(posMargin);
        Guard.Finite(negMargin);
        PosMargin = posMargin;
        NegMargin = negMargin;
    }

    /// <summary>The positive margin m⁺.</summary>
    public float PosMargin { get; }

    /// <summary>The negative margin m⁻.</summary>
    public float NegMargin { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var d = batch.Distance;
        List<int> a1 = [], p = [], a2 = [], n = [];
        for (int i = 0; i < batch.Rows; i++)
        {
            var row = batch.Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                if (batch.IsPositive(i, j))
                {
                    if (d.IsCloser(PosMargin, row[j]))
                    {
                        a1.Add(i);
                        p.Add(j);
                    }
                }
                else if (batch.IsNegative(i, j) && d.IsCloser(row[j], NegMargin))
                {
                    a2.Add(i);
                    n.Add(j);
                }
            }
        }
        return new PairTuples([.. a1], [.. p], [.. a2], [.. n]);
    }
}

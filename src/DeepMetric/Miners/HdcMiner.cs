using System.Globalization;
using DeepMetric.Distances;
using DeepMetric.Internal;

namespace DeepMetric.Miners;

/// <summary>
/// The hard-sample selection of Hard-Aware Deeply Cascaded Embedding (Yuan, Yang &amp; Zhang, ICCV 2017), as
/// PyTorch Metric Learning's HDCMiner: of all positive pairs, keep the hardest (farthest) ⌈f·|P|⌉; of all negative
/// pairs, the hardest (closest) ⌈f·|N|⌉, with f = <see cref="FilterPercentage"/>. Ties are broken by pair order
/// (anchor, then reference index). Defaults: f = 0.5, <see cref="LpDistance"/>.
/// </summary>
public sealed class HdcMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="filterPercentage">Fraction of each kind of pair to keep, in (0, 1].</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public HdcMiner(float filterPercentage = 0.5f, Distance? distance = null) : base(distance ?? new LpDistance())
    {
        Guard.InRange(filterPercentage, 0, 1, minExclusive: true);
        FilterPercentage = filterPercentage;
    }

    /// <summary>The fraction of pairs kept.</summary>
    public float FilterPercentage { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch)
    {
        var (pos, neg) = batch.ValuedPairs();
        var d = batch.Distance;
        // Hardest first: positives farthest first, negatives closest first; List.Sort is unstable, so tie-break by index.
        pos.Sort((x, y) => Order(d.IsCloser(x.V, y.V), d.IsCloser(y.V, x.V), x, y));
        neg.Sort((x, y) => Order(d.IsCloser(y.V, x.V), d.IsCloser(x.V, y.V), x, y));
        // ⌈f·count⌉ as PML; f is taken at its shortest decimal value (0.3f → 0.3) so that 0.3 × 20 is 6, not 6.0000002 → 7.
        double f = double.Parse(FilterPercentage.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var (a1, p) = Take(pos, (int)Math.Ceiling(f * pos.Count));
        var (a2, n) = Take(neg, (int)Math.Ceiling(f * neg.Count));
        return new PairTuples(a1, p, a2, n);
    }

    private static int Order(bool xAfter, bool yAfter, (float V, int I, int J) x, (float V, int I, int J) y) =>
        xAfter ? 1 : yAfter ? -1 : x.I != y.I ? x.I.CompareTo(y.I) : x.J.CompareTo(y.J);

    private static (int[] Anchors, int[] Others) Take(List<(float V, int I, int J)> pairs, int k)
    {
        var anchors = new int[k];
        var others = new int[k];
        for (int t = 0; t < k; t++)
        {
            anchors[t] = pairs[t].I;
            others[t] = pairs[t].J;
        }
        return (anchors, others);
    }
}

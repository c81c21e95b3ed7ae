using System.Globalization;
using System.Text;

namespace DeepMetric.Evaluation;

/// <summary>
/// Retrieval metrics averaged over queries (see <see cref="RetrievalMetrics"/> for the definitions). Values are in
/// [0, 1]; they are NaN when no query had a relevant reference (<see cref="QueryCount"/> = 0).
/// <see cref="PerClass"/> breaks them down by the queries' label and <see cref="ClassAveraged"/> averages that
/// breakdown with equal weight per class (the "average over classes" variant, which large classes cannot dominate).
/// </summary>
/// <param name="PrecisionAt1">Fraction of queries whose nearest reference has the query's label.</param>
/// <param name="RecallAt">Recall@K for each requested K: fraction of queries with at least one relevant item in the top K.</param>
/// <param name="RPrecision">Mean R-Precision: relevant items among the top R, divided by R (R = relevant references of the query).</param>
/// <param name="MapAtR">Mean Average Precision at R (Musgrave, Belongie and Lim, "A Metric Learning Reality Check", ECCV 2020).</param>
/// <param name="Map">Mean Average Precision over the retrieved list (see <see cref="RetrievalMetrics"/>).</param>
/// <param name="Mrr">Mean reciprocal rank of the first relevant item within the retrieved list (0 when none).</param>
/// <param name="QueryCount">Queries averaged over (those with at least one relevant reference).</param>
public sealed record Metrics(
    double PrecisionAt1,
    IReadOnlyDictionary<int, double> RecallAt,
    double RPrecision,
    double MapAtR,
    double Map,
    double Mrr,
    int QueryCount)
{
    /// <summary>
    /// The same metrics over the queries of each label (label → metrics of its queries; labels whose queries were all
    /// excluded are absent). Null on a per-class entry itself.
    /// </summary>
    public IReadOnlyDictionary<int, Metrics>? PerClass { get; init; }

    /// <summary>
    /// The class-averaged (macro) variant: each metric is the unweighted mean over the classes of <see cref="PerClass"/>,
    /// so every class counts equally whatever its number of queries. <see cref="QueryCount"/> stays the total. Equals
    /// this value when every class has as many queries; null when <see cref="PerClass"/> is null, NaN metrics when it is empty.
    /// </summary>
    public Metrics? ClassAveraged
    {
        get
        {
            if (PerClass is null)
            {
                return null;
            }
            int n = PerClass.Count;
            double p1 = 0, rp = 0, mapR = 0, map = 0, mrr = 0;
            var recall = new SortedDictionary<int, double>();
            foreach (int k in RecallAt.Keys)
            {
                recall[k] = 0;
            }
            foreach (var m in PerClass.Values)
            {
                p1 += m.PrecisionAt1;
                rp += m.RPrecision;
                mapR += m.MapAtR;
                map += m.Map;
                mrr += m.Mrr;
                foreach (var (k, v) in m.RecallAt)
                {
                    recall[k] += v;
                }
            }
            foreach (int k in RecallAt.Keys)
            {
                recall[k] /= n;
            }
            return new Metrics(p1 / n, recall, rp / n, mapR / n, map / n, mrr / n, QueryCount);
        }
    }

    /// <summary>Recall@<paramref name="k"/>.</summary>
    /// <exception cref="KeyNotFoundException"><paramref name="k"/> was not among the requested Ks.</exception>
    public double Recall(int k) => RecallAt.TryGetValue(k, out var v)
        ? v
        : throw new KeyNotFoundException($"Recall@{k} was not computed (computed: {string.Join(", ", RecallAt.Keys)}).");

    /// <summary>"P@1 0.8123, R@1 0.8123, R@2 …, R-Precision …, MAP@R …, MAP …, MRR … (n queries)".</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"P@1 {PrecisionAt1:F4}");
        foreach (var (k, v) in RecallAt)
        {
            s.Append(CultureInfo.InvariantCulture, $", R@{k} {v:F4}");
        }
        s.Append(CultureInfo.InvariantCulture, $", R-Precision {RPrecision:F4}, MAP@R {MapAtR:F4}, MAP {Map:F4}, MRR {Mrr:F4} ({QueryCount} queries)");
        return s.ToString();
    }
}

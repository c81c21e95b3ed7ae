using System.Globalization;
using System.Text;

namespace DeepMetric;

/// <summary>
/// Retrieval metrics averaged over queries (see <see cref="RetrievalMetrics"/> for the definitions). Values are in
/// [0, 1]; they are NaN when no query had a relevant reference (<see cref="QueryCount"/> = 0).
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

using System.Text.Json;
using DeepMetric.Evaluation;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.Parity;

/// <summary>
/// Retrieval metrics against pytorch-metric-learning 2.8.1's AccuracyCalculator (Euclidean k-NN): every k mode
/// (None, "max_bin_count", 3, 1), the plain and the avg_of_avgs averages and the per-class results, on a set ranked
/// against itself, one with duplicated embeddings, a separate reference set and a reference set that includes the queries.
/// </summary>
public sealed class MetricParityTests
{
    private static readonly (string Pml, Func<Metrics, double> Ours)[] Fields =
    [
        ("precision_at_1", m => m.PrecisionAt1),
        ("r_precision", m => m.RPrecision),
        ("mean_average_precision_at_r", m => m.MapAtR),
        ("mean_average_precision", m => m.Map),
        ("mean_reciprocal_rank", m => m.Mrr),
    ];

    // Records that still differ (id → why).
    private static readonly Dictionary<string, string> Known = new()
    {
    };

    public static TheoryData<string> Matching()
    {
        var data = new TheoryData<string>();
        foreach (var r in PmlFixture.Records("metrics"))
        {
            var id = r.GetProperty("id").GetString()!;
            if (!Known.ContainsKey(id))
            {
                data.Add(id);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Matching))]
    public void Metrics_MatchPml(string id)
    {
        var rec = PmlFixture.Record("metrics", id);
        var set = PmlFixture.Root.GetProperty("metric_sets").GetProperty(rec.GetProperty("set").GetString()!);
        var q = PmlFixture.Matrix(set.GetProperty("query"));
        var ql = PmlFixture.Ints(set.GetProperty("qlabels"));
        Tensor? r = PmlFixture.Has(set, "ref") ? PmlFixture.Matrix(set.GetProperty("ref")) : null;
        var rl = PmlFixture.Has(set, "rlabels") ? PmlFixture.Ints(set.GetProperty("rlabels")) : [];
        var kj = rec.GetProperty("k");
        var k = kj.ValueKind switch
        {
            JsonValueKind.Null => RetrievalK.All,
            JsonValueKind.String => RetrievalK.MaxBinCount,
            _ => RetrievalK.Of(kj.GetInt32()),
        };
        var m = RetrievalMetrics.Compute(q, ql, r, rl, k, set.GetProperty("ref_includes_query").GetBoolean());
        bool avg = rec.GetProperty("avg_of_avgs").GetBoolean();
        var overall = avg ? m.ClassAveraged! : m;
        var results = rec.GetProperty("results");
        foreach (var (pml, ours) in Fields)
        {
            PmlFixture.AssertClose($"{id} {pml}", [results.GetProperty(pml).GetDouble()], [ours(overall)], rtol: 1e-6, atol: 1e-6);
        }
        if (rec.TryGetProperty("per_class", out var perClass))
        {
            var classes = m.PerClass!.OrderBy(p => p.Key).Select(p => p.Value).ToArray();
            foreach (var (pml, ours) in Fields)
            {
                PmlFixture.AssertClose($"{id} per-class {pml}", PmlFixture.Flat(perClass.GetProperty(pml)), classes.Select(ours).ToArray(), rtol: 1e-6, atol: 1e-6);
            }
        }
    }
}

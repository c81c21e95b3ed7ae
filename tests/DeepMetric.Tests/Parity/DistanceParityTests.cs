using System.Text.Json;
using DeepMetric.Distances;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.Parity;

/// <summary>
/// Every distance against pytorch-metric-learning 2.8.1: the query × reference matrix (p = 1, 2, ∞, 3; normalised or
/// not; powers 1 and 2; the batch against itself and against a separate reference set, including duplicated rows) and
/// the gradients of Σ coef ⊙ matrix with respect to both sides.
/// </summary>
public sealed class DistanceParityTests
{
    private static readonly Dictionary<string, string> Known = new()
    {
    };

    public static TheoryData<string> Matching() => Ids(r => !Known.ContainsKey(Case(r)) && !Known.ContainsKey(r.GetProperty("id").GetString()!));

    public static TheoryData<string> KnownDifferences() => Ids(r => Known.ContainsKey(Case(r)) || Known.ContainsKey(r.GetProperty("id").GetString()!));

    [Theory]
    [MemberData(nameof(Matching))]
    public void Distance_MatchesPml(string id) => Check(PmlFixture.Record("distances", id));

    /// <summary>Every listed difference still differs: fixing one makes this fail until it leaves the list.</summary>
    [Fact]
    public void KnownDifferences_StillDiffer()
    {
        var nowMatching = new List<string>();
        foreach (var id in KnownDifferences())
        {
            try
            {
                Check(PmlFixture.Record("distances", id));
                nowMatching.Add(id);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Still differs, as listed.
            }
        }
        Assert.True(nowMatching.Count == 0, $"Now matching PML, remove from Known: {string.Join(", ", nowMatching)}");
    }

    private static string Case(JsonElement r) => r.GetProperty("case").GetString()!;

    private static TheoryData<string> Ids(Func<JsonElement, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var r in PmlFixture.Records("distances").Where(keep))
        {
            data.Add(r.GetProperty("id").GetString()!);
        }
        return data;
    }

    internal static Distance Make(JsonElement rec)
    {
        var c = Case(rec);
        var args = rec.GetProperty("args");
        bool Norm() => args.GetProperty("normalize").GetBoolean();
        float Power() => args.TryGetProperty("power", out var p) ? p.GetSingle() : 1f;
        return c.Split('/')[0] switch
        {
            "LpDistance" => new LpDistance(
                args.GetProperty("p").GetString() == "inf" ? float.PositiveInfinity : float.Parse(args.GetProperty("p").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                Norm(), Power()),
            "DotProductSimilarity" => new DotProductSimilarity(Norm()),
            "CosineSimilarity" => new CosineSimilarity(Power()),
            "SNRDistance" => new SnrDistance(),
            var other => throw new InvalidOperationException($"No DeepMetric distance for {other}."),
        };
    }

    private static void Check(JsonElement rec)
    {
        var id = rec.GetProperty("id").GetString()!;
        var batch = PmlFixture.Batch(rec.GetProperty("batch").GetString()!);
        var e = PmlFixture.Matrix(batch.GetProperty("emb"), requiresGrad: true);
        Tensor? r = PmlFixture.Has(batch, "ref_emb") ? PmlFixture.Matrix(batch.GetProperty("ref_emb"), requiresGrad: true) : null;
        var m = Make(rec).Pairwise(e, r);
        PmlFixture.AssertClose($"{id} matrix", PmlFixture.Flat(rec.GetProperty("matrix")), m.ToArray().Select(v => (double)v).ToArray());
        var coef = PmlFixture.Matrix(rec.GetProperty("coef"));
        Ops.Sum(Ops.Mul(m, coef)).Backward();
        PmlFixture.AssertClose($"{id} d/dquery", PmlFixture.Flat(rec.GetProperty("grad")), e.Grad!.ToArray().Select(v => (double)v).ToArray(), rtol: 1e-3);
        if (r is not null)
        {
            PmlFixture.AssertClose($"{id} d/dref", PmlFixture.Flat(rec.GetProperty("ref_grad")), r.Grad!.ToArray().Select(v => (double)v).ToArray(), rtol: 1e-3);
        }
    }
}

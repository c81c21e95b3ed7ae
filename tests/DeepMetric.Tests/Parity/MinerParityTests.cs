using System.Text.Json;
using DeepMetric.Miners;

namespace DeepMetric.Tests.Parity;

/// <summary>
/// Every deterministic miner against pytorch-metric-learning 2.8.1: the mined index tuples, compared as multisets
/// (PML's order is an implementation detail), on the fixture batches including one class, all-distinct labels,
/// duplicated embeddings and a separate reference set.
/// </summary>
public sealed class MinerParityTests
{
    private static readonly Dictionary<string, string> Known = new()
    {
        ["HDCMiner/0.3@dup"] = "exact ties between duplicated embeddings are cut in a different order",
    };

    public static TheoryData<string> Matching() => Ids(r => !IsKnown(r));

    public static TheoryData<string> KnownDifferences() => Ids(IsKnown);

    [Theory]
    [MemberData(nameof(Matching))]
    public void Miner_MatchesPml(string id) => Check(PmlFixture.Record("miners", id));

    /// <summary>Every listed difference still differs: fixing one makes this fail until it leaves the list.</summary>
    [Fact]
    public void KnownDifferences_StillDiffer()
    {
        var nowMatching = new List<string>();
        foreach (var id in KnownDifferences())
        {
            try
            {
                Check(PmlFixture.Record("miners", id));
                nowMatching.Add(id);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Still differs, as listed.
            }
        }
        Assert.True(nowMatching.Count == 0, $"Now matching PML, remove from Known: {string.Join(", ", nowMatching)}");
    }

    private static bool IsKnown(JsonElement r)
    {
        var c = r.GetProperty("case").GetString()!;
        return Known.ContainsKey(c) || Known.ContainsKey(r.GetProperty("id").GetString()!) || Known.ContainsKey(c.Split('/')[0]);
    }

    private static TheoryData<string> Ids(Func<JsonElement, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var r in PmlFixture.Records("miners").Where(keep))
        {
            data.Add(r.GetProperty("id").GetString()!);
        }
        return data;
    }

    private static BatchEasyHardStrategy Strategy(string s) => s switch
    {
        "easy" => BatchEasyHardStrategy.Easy,
        "semihard" => BatchEasyHardStrategy.SemiHard,
        "hard" => BatchEasyHardStrategy.Hard,
        "all" => BatchEasyHardStrategy.All,
        _ => throw new ArgumentException(s),
    };

    private static (float, float)? Range(JsonElement args, string name) =>
        args.TryGetProperty(name, out var r) ? ((float)r[0].GetDouble(), (float)r[1].GetDouble()) : null;

    private static Miner Make(JsonElement rec)
    {
        var c = rec.GetProperty("case").GetString()!;
        var args = rec.GetProperty("args");
        float F(string n, float def) => args.TryGetProperty(n, out var v) ? v.GetSingle() : def;
        return c.Split('/')[0] switch
        {
            "TripletMarginMiner" => new TripletMarginMiner(F("margin", 0.2f), args.GetProperty("type").GetString() switch
            {
                "all" => TripletKind.All,
                "hard" => TripletKind.Hard,
                "semihard" => TripletKind.SemiHard,
                "easy" => TripletKind.Easy,
                var t => throw new ArgumentException(t),
            }),
            "PairMarginMiner" => new PairMarginMiner(F("posMargin", 0.2f), F("negMargin", 0.8f)),
            "MultiSimilarityMiner" => new MultiSimilarityMiner(F("epsilon", 0.1f)),
            "BatchHardMiner" => new BatchHardMiner(),
            "AngularMiner" => new AngularMiner(F("angle", 20f)),
            "HDCMiner" => new HdcMiner(F("filterPercentage", 0.5f)),
            "BatchEasyHardMiner" => new BatchEasyHardMiner(Strategy(args.GetProperty("pos").GetString()!), Strategy(args.GetProperty("neg").GetString()!),
                Range(args, "posRange"), Range(args, "negRange")),
            var other => throw new InvalidOperationException($"No DeepMetric miner for {other}."),
        };
    }

    private static string[] Canonical(int[][] t, bool unordered = false)
    {
        if (unordered)
        {
            // HDC keeps a fraction of pairs by value; (i, j) and (j, i) tie exactly, so which one survives the cut is a rounding accident.
            t = [.. t.Select(x => x.ToArray())];
            for (int s = 0; s + 1 < t.Length; s += 2)
            {
                for (int k = 0; k < t[s].Length; k++)
                {
                    if (t[s][k] > t[s + 1][k])
                    {
                        (t[s][k], t[s + 1][k]) = (t[s + 1][k], t[s][k]);
                    }
                }
            }
        }
        if (t.Length == 3)
        {
            return [.. Enumerable.Range(0, t[0].Length).Select(i => $"T {t[0][i]},{t[1][i]},{t[2][i]}").Order(StringComparer.Ordinal)];
        }
        return [.. Enumerable.Range(0, t[0].Length).Select(i => $"P {t[0][i]},{t[1][i]}")
            .Concat(Enumerable.Range(0, t[2].Length).Select(i => $"N {t[2][i]},{t[3][i]}")).Order(StringComparer.Ordinal)];
    }

    private static void Check(JsonElement rec)
    {
        var id = rec.GetProperty("id").GetString()!;
        var batch = PmlFixture.Batch(rec.GetProperty("batch").GetString()!);
        var e = PmlFixture.Matrix(batch.GetProperty("emb"));
        var labels = PmlFixture.Ints(batch.GetProperty("labels"));
        var r = PmlFixture.Has(batch, "ref_emb") ? PmlFixture.Matrix(batch.GetProperty("ref_emb")) : null;
        var rl = PmlFixture.Has(batch, "ref_labels") ? PmlFixture.Ints(batch.GetProperty("ref_labels")) : null;
        var expected = rec.GetProperty("tuples").EnumerateArray().Select(PmlFixture.Ints).ToArray();
        var mined = Make(rec).Mine(e, labels, r, rl);
        int[][] ours = mined switch
        {
            TripletTuples t when expected.Length == 3 => [t.Anchors, t.Positives, t.Negatives],
            TripletTuples t => [t.Anchors, t.Positives, t.Anchors, t.Negatives],
            PairTuples p when expected.Length == 4 => [p.PosAnchors, p.Positives, p.NegAnchors, p.Negatives],
            PairTuples p when p.PosAnchors.SequenceEqual(p.NegAnchors) => [p.PosAnchors, p.Positives, p.Negatives],
            PairTuples p => [p.PosAnchors, p.Positives, p.NegAnchors, p.Negatives],
            _ => throw new InvalidOperationException(mined.GetType().Name),
        };
        bool unordered = rec.GetProperty("case").GetString()!.StartsWith("HDCMiner", StringComparison.Ordinal) && r is null;
        var want = Canonical(expected, unordered);
        var got = Canonical(ours, unordered);
        Assert.True(want.SequenceEqual(got),
            $"{id}: PML mined {want.Length} [{string.Join("; ", want.Take(12))}], ours {got.Length} [{string.Join("; ", got.Take(12))}]");
    }
}

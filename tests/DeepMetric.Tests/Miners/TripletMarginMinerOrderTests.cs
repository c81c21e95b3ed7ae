using DeepMetric.Distances;
using DeepMetric.Miners;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Miners;

public sealed class TripletMarginMinerOrderTests
{
    public static TheoryData<TripletKind, bool, bool> Cases()
    {
        var data = new TheoryData<TripletKind, bool, bool>();
        foreach (var kind in Enum.GetValues<TripletKind>())
        {
            data.Add(kind, false, false);
            data.Add(kind, true, false);
            data.Add(kind, false, true);
        }
        return data;
    }

    // The exact sequence (anchor-major, then positives, then negatives in column order), against a plain loop over
    // the distance matrix — so the tuple order losses see (and their float sums) cannot change.
    [Theory]
    [MemberData(nameof(Cases))]
    public void ExactTuplesInOrder(TripletKind kind, bool cosine, bool separateReferences)
    {
        const float Margin = 0.3f;
        int[] labels = [0, 1, 0, 2, 1, 0, 2, 2, 1, 0, 3];
        int[] refLabels = separateReferences ? [2, 0, 1, 1, 3, 0, 2] : labels;
        var e = Fixtures.RandomEmbeddings(11, labels.Length, 3, false);
        var r = separateReferences ? Fixtures.RandomEmbeddings(12, refLabels.Length, 3, false) : null;
        Distance distance = cosine ? new CosineSimilarity() : new LpDistance();
        var got = (TripletTuples)new TripletMarginMiner(Margin, kind, distance).Mine(e, labels, r, separateReferences ? refLabels : null);

        var d = distance.Pairwise(e, r).ToArray();
        int cols = refLabels.Length;
        var expected = new List<(int, int, int)>();
        for (int a = 0; a < labels.Length; a++)
        {
            for (int p = 0; p < cols; p++)
            {
                if (labels[a] != refLabels[p] || (!separateReferences && a == p))
                {
                    continue;
                }
                for (int n = 0; n < cols; n++)
                {
                    if (labels[a] == refLabels[n])
                    {
                        continue;
                    }
                    float dp = d[(a * cols) + p], dn = d[(a * cols) + n];
                    float s = cosine ? dp - dn : dn - dp;
                    bool keep = kind switch
                    {
                        TripletKind.All => s <= Margin,
                        TripletKind.Hard => s <= 0,
                        TripletKind.SemiHard => s > 0 && s <= Margin,
                        _ => s > Margin,
                    };
                    if (keep)
                    {
                        expected.Add((a, p, n));
                    }
                }
            }
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Enumerable.Range(0, got.Count).Select(k => (got.Anchors[k], got.Positives[k], got.Negatives[k])));
    }
}

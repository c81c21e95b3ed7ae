using DeepMetric.Tensors;

namespace DeepMetric.Tests.TestUtil;

/// <summary>Brute-force helpers for miner tests: double-precision matrices and tuple sets.</summary>
internal static class MinerCheck
{
    /// <summary>Imbalanced labels with a singleton class (3).</summary>
    public static readonly int[] Labels = [0, 0, 1, 1, 1, 2, 0, 3, 2];

    /// <summary>Cosine similarities, N × M, in double.</summary>
    public static double[,] Cosine(Tensor q, Tensor r)
    {
        int d = q.Dim(1);
        var qa = Reference.Rows(q.ToArray(), q.Dim(0), d).Select(Reference.Normalize).ToArray();
        var ra = Reference.Rows(r.ToArray(), r.Dim(0), d).Select(Reference.Normalize).ToArray();
        var res = new double[qa.Length, ra.Length];
        for (int i = 0; i < qa.Length; i++)
        {
            for (int j = 0; j < ra.Length; j++)
            {
                res[i, j] = Reference.Dot(qa[i], ra[j]);
            }
        }
        return res;
    }

    /// <summary>Euclidean distances of normalised rows, N × M.</summary>
    public static double[,] Euclid(Tensor q, Tensor r) =>
        Reference.NormalizedEuclidean(q.ToArray(), q.Dim(0), r.ToArray(), r.Dim(0), q.Dim(1));

    public static bool IsPos(int[] l, int[] rl, bool same, int i, int j) => l[i] == rl[j] && !(same && i == j);

    public static bool IsNeg(int[] l, int[] rl, int i, int j) => l[i] != rl[j];

    public static List<(int, int)> PosSet(PairTuples t) =>
        Enumerable.Range(0, t.PositiveCount).Select(k => (t.PosAnchors[k], t.Positives[k])).Order().ToList();

    public static List<(int, int)> NegSet(PairTuples t) =>
        Enumerable.Range(0, t.NegativeCount).Select(k => (t.NegAnchors[k], t.Negatives[k])).Order().ToList();

    public static List<(int, int, int)> Set(TripletTuples t) =>
        Enumerable.Range(0, t.Count).Select(k => (t.Anchors[k], t.Positives[k], t.Negatives[k])).Order().ToList();
}

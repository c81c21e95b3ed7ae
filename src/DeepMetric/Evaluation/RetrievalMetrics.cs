using DeepMetric.Tensors;

namespace DeepMetric.Evaluation;

/// <summary>
/// Retrieval accuracy of embeddings, as metric-learning papers report it. For a query with label y and R relevant
/// references (same label; the query itself excluded when queries are the references), with the references ranked
/// closest first (ties broken by lower reference index):
/// <list type="bullet">
/// <item>Precision@1: 1 if the first neighbour is relevant.</item>
/// <item>Recall@K (the metric-learning definition): 1 if any of the first K neighbours is relevant.</item>
/// <item>R-Precision: relevant items among the first R, divided by R.</item>
/// <item>MAP@R (Musgrave, Belongie and Lim, "A Metric Learning Reality Check", ECCV 2020):
/// (1/R) Σ_{i≤R} P(i)·rel(i), where P(i) is the precision of the first i neighbours.</item>
/// <item>MAP: (1/R) Σ_{i≤K} P(i)·rel(i) over the retrieved list of K = max(largest requested K, largest R)
/// neighbours; a relevant item ranked beyond K adds nothing.</item>
/// <item>MRR: 1 / rank of the first relevant item within the list (0 if none).</item>
/// </list>
/// Each metric is averaged over queries; queries with R = 0 (their class has no other member) are excluded.
/// The result also holds the per-class breakdown (<see cref="Metrics.PerClass"/>, keyed by the query label) and its
/// class-averaged (macro) variant (<see cref="Metrics.ClassAveraged"/>).
/// </summary>
public static class RetrievalMetrics
{
    /// <summary>The Ks of Recall@K used when none are given: 1, 2, 4, 8.</summary>
    public static IReadOnlyList<int> DefaultKs { get; } = Array.AsReadOnly([1, 2, 4, 8]);

    /// <summary>Leave-one-out metrics: every embedding is a query against all the others.</summary>
    /// <param name="embeddings">Embeddings [N, D].</param>
    /// <param name="labels">Labels, length N.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public static Metrics Compute(Tensor embeddings, ReadOnlySpan<int> labels, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        CheckEmbeddings(embeddings, labels.Length, nameof(embeddings));
        var l = labels.ToArray();
        var counts = Counts(l);
        int maxR = 0;
        foreach (int y in l)
        {
            maxR = Math.Max(maxR, counts[y] - 1);
        }
        var kList = CheckKs(ks);
        int k = Math.Min(Math.Max(maxR, kList[^1]), l.Length - 1);
        return FromSearch(embeddings, null, l, l, Math.Max(k, 0), metric, y => counts[y] - 1, kList);
    }

    /// <summary>
    /// Peak bytes the leave-one-out <see cref="Compute(Tensor, ReadOnlySpan{int}, IReadOnlyList{int}?, KnnMetric)"/>
    /// allocates for the neighbour search (see <see cref="Knn.EstimateBytes"/>): the list length is the largest
    /// class size − 1 (MAP@R needs R neighbours), so memory grows with N × the largest class, not N².
    /// For 10 000 embeddings in 10 classes it stays far below 1 GB even at 784 dimensions.
    /// </summary>
    /// <param name="labels">Labels, length N.</param>
    /// <param name="dim">Embedding dimension.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public static long EstimateBytes(ReadOnlySpan<int> labels, int dim, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        var counts = Counts(labels.ToArray());
        int maxR = 0;
        foreach (var c in counts.Values)
        {
            maxR = Math.Max(maxR, c - 1);
        }
        int k = Math.Max(Math.Min(Math.Max(maxR, CheckKs(ks)[^1]), labels.Length - 1), 0);
        // The embeddings' copy plus the search; the per-query ranked-label row is k ints.
        return Knn.EstimateBytes(labels.Length, labels.Length, dim, k, metric, leaveOneOut: true) + (4L * k);
    }

    /// <summary>Metrics of separate query and reference sets.</summary>
    /// <param name="queries">Query embeddings [Q, D].</param>
    /// <param name="queryLabels">Query labels, length Q.</param>
    /// <param name="references">Reference embeddings [M, D].</param>
    /// <param name="referenceLabels">Reference labels, length M.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public static Metrics Compute(Tensor queries, ReadOnlySpan<int> queryLabels, Tensor references, ReadOnlySpan<int> referenceLabels,
        IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(references);
        CheckEmbeddings(queries, queryLabels.Length, nameof(queries));
        CheckEmbeddings(references, referenceLabels.Length, nameof(references));
        var ql = queryLabels.ToArray();
        var rl = referenceLabels.ToArray();
        var counts = Counts(rl);
        int maxR = 0;
        foreach (int y in ql)
        {
            maxR = Math.Max(maxR, counts.GetValueOrDefault(y));
        }
        var kList = CheckKs(ks);
        int k = Math.Min(Math.Max(maxR, kList[^1]), rl.Length);
        return FromSearch(queries, references, ql, rl, k, metric, y => counts.GetValueOrDefault(y), kList);
    }

    /// <summary>
    /// The metrics as PyTorch Metric Learning 2.8.1's <c>AccuracyCalculator.get_accuracy</c> computes them: the ranking
    /// has <paramref name="k"/> neighbours (<see cref="RetrievalK.All"/> = every reference, PML's default); R is the number
    /// of references sharing the query's label (less the query itself when <paramref name="refIncludesQuery"/>);
    /// queries with R = 0 are left out; R-Precision is the hits among the first min(R, k) over min(R, k); MAP@R sums
    /// P(i) over the first min(R, k) and MAP over the k ranks, both divided by R; MRR looks within the k ranks.
    /// <see cref="Metrics.ClassAveraged"/> is PML's <c>avg_of_avgs</c> and <see cref="Metrics.PerClass"/> its
    /// <c>return_per_class</c>.
    /// </summary>
    /// <param name="queries">Query embeddings [Q, D].</param>
    /// <param name="queryLabels">Query labels, length Q.</param>
    /// <param name="references">Reference embeddings [M, D], or null to rank the queries against each other (leave-one-out,
    /// which implies <paramref name="refIncludesQuery"/>).</param>
    /// <param name="referenceLabels">Reference labels, length M (ignored when <paramref name="references"/> is null).</param>
    /// <param name="k">Neighbours ranked.</param>
    /// <param name="refIncludesQuery">The first Q references are the queries themselves: each query's own row is skipped.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    /// <exception cref="ArgumentException">Shapes disagree, or <paramref name="refIncludesQuery"/> with fewer references than queries.</exception>
    public static Metrics Compute(Tensor queries, ReadOnlySpan<int> queryLabels, Tensor? references, ReadOnlySpan<int> referenceLabels, RetrievalK k,
        bool refIncludesQuery = false, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(queries);
        CheckEmbeddings(queries, queryLabels.Length, nameof(queries));
        var ql = queryLabels.ToArray();
        bool selfSearch = references is null;
        int[] rl;
        if (selfSearch)
        {
            rl = ql;
            refIncludesQuery = true;
        }
        else
        {
            CheckEmbeddings(references!, referenceLabels.Length, nameof(references));
            rl = referenceLabels.ToArray();
            if (refIncludesQuery && rl.Length < ql.Length)
            {
                throw new ArgumentException($"refIncludesQuery needs the {ql.Length} queries as the first references, but there are only {rl.Length}.", nameof(refIncludesQuery));
            }
        }
        var counts = Counts(rl);
        int self = refIncludesQuery ? 1 : 0;
        int maxBin = 0;
        foreach (int y in ql.Distinct())
        {
            maxBin = Math.Max(maxBin, counts.GetValueOrDefault(y));
        }
        int available = rl.Length - self;
        int listLength = k.Value switch
        {
            0 => available,
            -1 => maxBin - self,
            var fixedK => fixedK,
        };
        listLength = Math.Max(0, Math.Min(listLength, available));
        var kList = CheckKs(ks);
        var acc = new Accumulator(kList);
        var ranked = new int[listLength];
        // With a separate reference set that contains the queries, search one more and skip the query's own row.
        int search = selfSearch ? listLength : Math.Min(listLength + self, rl.Length);
        if (search > 0)
        {
            Knn.ForEach(queries, references, search, metric, (q, neighbours) =>
            {
                int t = 0;
                foreach (var nb in neighbours)
                {
                    int j = (int)(uint)nb;
                    if ((!selfSearch && refIncludesQuery && j == q) || t == listLength)
                    {
                        continue;
                    }
                    ranked[t++] = rl[j];
                }
                acc.Add(ql[q], ranked.AsSpan(0, t), counts.GetValueOrDefault(ql[q]) - self);
            });
        }
        else
        {
            for (int q = 0; q < ql.Length; q++)
            {
                acc.Add(ql[q], [], counts.GetValueOrDefault(ql[q]) - self);
            }
        }
        return acc.Result();
    }

    /// <summary>
    /// Metrics from ranked neighbour labels (for a search done elsewhere).
    /// </summary>
    /// <param name="queryLabels">Label of each query.</param>
    /// <param name="rankedLabels">For each query, the labels of its retrieved references, closest first.</param>
    /// <param name="relevantCounts">For each query, R: how many references share its label (excluding itself).</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <exception cref="ArgumentException">Lengths differ, R is negative, or a list is shorter than min(R, largest K) while R &gt; 0 — the message names the query.</exception>
    public static Metrics FromRankedLabels(IReadOnlyList<int> queryLabels, IReadOnlyList<int[]> rankedLabels, IReadOnlyList<int> relevantCounts,
        IReadOnlyList<int>? ks = null)
    {
        ArgumentNullException.ThrowIfNull(queryLabels);
        ArgumentNullException.ThrowIfNull(rankedLabels);
        ArgumentNullException.ThrowIfNull(relevantCounts);
        if (rankedLabels.Count != queryLabels.Count || relevantCounts.Count != queryLabels.Count)
        {
            throw new ArgumentException(
                $"Expected one ranked list and one relevant count per query ({queryLabels.Count}), got {rankedLabels.Count} and {relevantCounts.Count}.",
                nameof(rankedLabels));
        }
        var kList = CheckKs(ks);
        var acc = new Accumulator(kList);
        for (int q = 0; q < queryLabels.Count; q++)
        {
            int r = relevantCounts[q];
            if (r < 0)
            {
                throw new ArgumentException($"Query {q} has a negative relevant count {r}.", nameof(relevantCounts));
            }
            var list = rankedLabels[q] ?? throw new ArgumentException($"Query {q} has no ranked list.", nameof(rankedLabels));
            if (r > 0 && list.Length < r)
            {
                throw new ArgumentException($"Query {q} has R = {r} but only {list.Length} ranked labels; MAP@R needs at least R.", nameof(rankedLabels));
            }
            acc.Add(queryLabels[q], list, r);
        }
        return acc.Result();
    }

    // Scores each query's list as the search produces it; no [queries × k] result is stored.
    private static Metrics FromSearch(Tensor queries, Tensor? references, int[] queryLabels, int[] referenceLabels, int k, KnnMetric metric,
        Func<int, int> relevant, int[] ks)
    {
        var acc = new Accumulator(ks);
        var ranked = new int[k];
        Knn.ForEach(queries, references, k, metric, (q, neighbours) =>
        {
            for (int t = 0; t < neighbours.Length; t++)
            {
                ranked[t] = referenceLabels[(int)(uint)neighbours[t]];
            }
            acc.Add(queryLabels[q], ranked, relevant(queryLabels[q]));
        });
        if (k == 0)
        {
            // No list at all (one item, or no references): the search calls back for no query, so score them here.
            for (int q = 0; q < queryLabels.Length; q++)
            {
                acc.Add(queryLabels[q], ranked, relevant(queryLabels[q]));
            }
        }
        return acc.Result();
    }

    private static void CheckEmbeddings(Tensor x, int labelCount, string name)
    {
        if (x.Rank != 2 || x.Dim(0) != labelCount)
        {
            throw new ArgumentException($"Expected embeddings [{labelCount}, D] matching the labels, got [{string.Join(", ", x.Shape)}].", name);
        }
    }

    private static int[] CheckKs(IReadOnlyList<int>? ks)
    {
        var list = (ks ?? DefaultKs).Distinct().Order().ToArray();
        if (list.Length == 0 || list[0] <= 0)
        {
            throw new ArgumentException("The Ks of Recall@K must be positive and at least one must be given.", nameof(ks));
        }
        return list;
    }

    private static Dictionary<int, int> Counts(int[] labels)
    {
        var counts = new Dictionary<int, int>();
        foreach (int y in labels)
        {
            counts[y] = counts.GetValueOrDefault(y) + 1;
        }
        return counts;
    }

    // Sums per-query metrics in double, overall and (for the top-level one) per query label.
    private sealed class Accumulator(int[] ks, bool perClass = true)
    {
        private readonly double[] _recall = new double[ks.Length];
        private readonly Dictionary<int, Accumulator>? _classes = perClass ? [] : null;
        private double _p1, _rPrecision, _mapAtR, _map, _mrr;
        private int _n;

        public void Add(int label, ReadOnlySpan<int> ranked, int r)
        {
            if (r == 0)
            {
                return;
            }
            int hits = 0, first = -1, hitsAtR = 0;
            double apR = 0, ap = 0;
            for (int i = 0; i < ranked.Length; i++)
            {
                if (ranked[i] != label)
                {
                    continue;
                }
                hits++;
                if (first < 0)
                {
                    first = i;
                }
                double precision = hits / (double)(i + 1);
                ap += precision;
                if (i < r)
                {
                    apR += precision;
                    hitsAtR++;
                }
            }
            // R-Precision over the first min(R, list length) ranks (PML's relevance mask is cut at k).
            int rDen = Math.Max(1, Math.Min(r, ranked.Length));
            Sum(first, hitsAtR / (double)rDen, apR / r, ap / r);
            if (_classes is not null)
            {
                if (!_classes.TryGetValue(label, out var own))
                {
                    own = new Accumulator(ks, perClass: false);
                    _classes[label] = own;
                }
                own.Sum(first, hitsAtR / (double)rDen, apR / r, ap / r);
            }
        }

        private void Sum(int first, double rPrecision, double apR, double ap)
        {
            _n++;
            _p1 += first == 0 ? 1 : 0;
            for (int j = 0; j < ks.Length; j++)
            {
                _recall[j] += first >= 0 && first < ks[j] ? 1 : 0;
            }
            _rPrecision += rPrecision;
            _mapAtR += apR;
            _map += ap;
            _mrr += first >= 0 ? 1.0 / (first + 1) : 0;
        }

        public Metrics Result()
        {
            double n = _n;
            var recall = new SortedDictionary<int, double>();
            for (int j = 0; j < ks.Length; j++)
            {
                recall[ks[j]] = _recall[j] / n;
            }
            SortedDictionary<int, Metrics>? classes = null;
            if (_classes is not null)
            {
                classes = [];
                foreach (var (label, own) in _classes)
                {
                    classes[label] = own.Result();
                }
            }
            return new Metrics(_p1 / n, recall, _rPrecision / n, _mapAtR / n, _map / n, _mrr / n, _n) { PerClass = classes };
        }
    }
}

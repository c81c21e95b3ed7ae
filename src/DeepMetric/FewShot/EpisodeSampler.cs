using DeepMetric.Tensors.Random;

namespace DeepMetric.FewShot;

/// <summary>
/// Draws seeded N-way K-shot episodes (Vinyals et al., "Matching Networks for One Shot Learning", NeurIPS 2016): N
/// classes at random, then K support and Q query items per class, all distinct. The same labels, settings and seed
/// always give the same episodes.
/// </summary>
public sealed class EpisodeSampler
{
    private readonly int[][] _byClass;
    private readonly int[] _classes;
    private readonly Prng _rng;

    /// <summary>Creates a sampler over the items labelled <paramref name="labels"/>.</summary>
    /// <param name="labels">One label per item (non-negative).</param>
    /// <param name="ways">Classes per episode (N ≥ 2).</param>
    /// <param name="shots">Support items per class (K ≥ 1).</param>
    /// <param name="queries">Query items per class (Q ≥ 1).</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range, a label is negative, or fewer than <paramref name="ways"/> classes have K + Q items.</exception>
    public EpisodeSampler(ReadOnlySpan<int> labels, int ways, int shots, int queries, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ways, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(shots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        var byLabel = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label of item {i} must be non-negative.");
            }
            if (!byLabel.TryGetValue(labels[i], out var list))
            {
                byLabel[labels[i]] = list = [];
            }
            list.Add(i);
        }
        // Classes too small for K + Q distinct items cannot appear in an episode.
        var eligible = byLabel.Where(p => p.Value.Count >= shots + queries).ToArray();
        if (eligible.Length < ways)
        {
            throw new ArgumentOutOfRangeException(nameof(ways),
                $"{ways}-way {shots}-shot episodes with {queries} queries per class need {ways} classes with at least {shots + queries} items each; only {eligible.Length} have.");
        }
        _classes = eligible.Select(p => p.Key).ToArray();
        _byClass = eligible.Select(p => p.Value.ToArray()).ToArray();
        Ways = ways;
        Shots = shots;
        Queries = queries;
        _rng = new Prng(seed);
    }

    /// <summary>Classes per episode (N).</summary>
    public int Ways { get; }

    /// <summary>Support items per class (K).</summary>
    public int Shots { get; }

    /// <summary>Query items per class (Q).</summary>
    public int Queries { get; }

    /// <summary>The dataset labels episodes draw from (those with at least K + Q items).</summary>
    public IReadOnlyList<int> Classes => _classes;

    /// <summary>The next episode.</summary>
    public FewShotEpisode Next()
    {
        var classOrder = PartialShuffle(_classes.Length, Ways);
        int perClass = Shots + Queries;
        var classes = new int[Ways];
        var support = new int[Ways * Shots];
        var supportLabels = new int[Ways * Shots];
        var query = new int[Ways * Queries];
        var queryLabels = new int[Ways * Queries];
        for (int c = 0; c < Ways; c++)
        {
            int source = classOrder[c];
            classes[c] = _classes[source];
            var members = _byClass[source];
            var picked = PartialShuffle(members.Length, perClass);
            for (int s = 0; s < Shots; s++)
            {
                support[(c * Shots) + s] = members[picked[s]];
                supportLabels[(c * Shots) + s] = c;
            }
            for (int q = 0; q < Queries; q++)
            {
                query[(c * Queries) + q] = members[picked[Shots + q]];
                queryLabels[(c * Queries) + q] = c;
            }
        }
        return new FewShotEpisode(classes, support, supportLabels, query, queryLabels);
    }

    /// <summary>The next <paramref name="count"/> episodes.</summary>
    public IReadOnlyList<FewShotEpisode> Sample(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var episodes = new FewShotEpisode[count];
        for (int i = 0; i < count; i++)
        {
            episodes[i] = Next();
        }
        return episodes;
    }

    // The first `take` positions of a Fisher–Yates shuffle of 0 … n − 1: `take` distinct values, uniformly.
    private int[] PartialShuffle(int n, int take)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        for (int i = 0; i < take; i++)
        {
            int j = _rng.NextInt(i, n);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..take];
    }
}

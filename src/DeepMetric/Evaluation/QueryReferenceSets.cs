using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Tensors;

namespace DeepMetric.Evaluation;

/// <summary>
/// The two sides of a retrieval evaluation: the queries, and the reference (gallery) set they are ranked against.
/// Without a separate reference set each query is ranked among the other queries, itself excluded (leave-one-out;
/// PyTorch Metric Learning's <c>ref_includes_query</c>, Musgrave et al., "A Metric Learning Reality Check", ECCV 2020);
/// with one (In-Shop Clothes' query and gallery images, Liu et al., CVPR 2016) every reference is a candidate.
/// </summary>
public sealed class QueryReferenceSets
{
    /// <summary>Creates the sets.</summary>
    /// <param name="queries">The query items.</param>
    /// <param name="references">The reference items, labelled in the queries' numbering; null (or the same object as
    /// <paramref name="queries"/>) ranks the queries among themselves, each query's own item excluded.</param>
    public QueryReferenceSets(IDataset queries, IDataset? references = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        Queries = queries;
        References = ReferenceEquals(references, queries) ? null : references;
        if (References is not null && !References.ItemShape.SequenceEqual(queries.ItemShape))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Queries have items of shape [{string.Join(", ", queries.ItemShape.ToArray())}] but references [{string.Join(", ", References.ItemShape.ToArray())}]."), nameof(references));
        }
    }

    /// <summary>The query items.</summary>
    public IDataset Queries { get; }

    /// <summary>The separate reference items, or null when queries are ranked among themselves.</summary>
    public IDataset? References { get; }

    /// <summary>True when the queries are their own reference set (leave-one-out).</summary>
    public bool LeaveOneOut => References is null;

    /// <summary>Number of items a query is ranked against: the references, or the other queries.</summary>
    public int ReferenceCount => References?.Count ?? Math.Max(Queries.Count - 1, 0);

    /// <summary>One line for reports: "1,000 queries, each ranked among the other 999" or "… among 2,000 reference items".</summary>
    public string Describe() => LeaveOneOut
        ? string.Create(CultureInfo.InvariantCulture, $"{Queries.Count:N0} queries, each ranked among the other {ReferenceCount:N0} (query excluded)")
        : string.Create(CultureInfo.InvariantCulture, $"{Queries.Count:N0} queries ranked among {References!.Count:N0} separate reference items");

    /// <summary>Retrieval metrics of embeddings of the two sets (see <see cref="RetrievalMetrics"/>).</summary>
    /// <param name="queryEmbeddings">[Q, D] embeddings of <see cref="Queries"/>.</param>
    /// <param name="referenceEmbeddings">[M, D] embeddings of <see cref="References"/>; must be null exactly when <see cref="LeaveOneOut"/>.</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public Metrics Compute(Tensor queryEmbeddings, Tensor? referenceEmbeddings, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(queryEmbeddings);
        if ((referenceEmbeddings is null) != LeaveOneOut)
        {
            throw new ArgumentException(LeaveOneOut ? "The queries are their own references: pass no reference embeddings." : "Pass the embeddings of the reference set.", nameof(referenceEmbeddings));
        }
        return referenceEmbeddings is null
            ? RetrievalMetrics.Compute(queryEmbeddings, Queries.Labels, ks, metric)
            : RetrievalMetrics.Compute(queryEmbeddings, Queries.Labels, referenceEmbeddings, References!.Labels, ks, metric);
    }

    /// <summary>Embeds both sets with <paramref name="embed"/> and computes the retrieval metrics.</summary>
    /// <param name="embed">Maps a set to its [N, D] embeddings (a model's <c>Embed</c>).</param>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public Metrics Evaluate(Func<IDataset, Tensor> embed, IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean)
    {
        ArgumentNullException.ThrowIfNull(embed);
        return Compute(embed(Queries), References is null ? null : embed(References), ks, metric);
    }

    /// <summary>The raw-pixel baseline on these sets (<see cref="Baselines.RawPixels"/> as embeddings).</summary>
    /// <param name="ks">Ks of Recall@K (default 1, 2, 4, 8).</param>
    /// <param name="metric">Distance used for ranking.</param>
    public Metrics RawPixelMetrics(IReadOnlyList<int>? ks = null, KnnMetric metric = KnnMetric.Euclidean) =>
        Evaluate(d => Baselines.RawPixels(d), ks, metric);
}

using DeepMetric.Data.Images;
using DeepMetric.Evaluation;
using DeepMetric.Search;
using DeepMetric.Tensors;

namespace DeepMetric.Distances;

/// <summary>
/// A distance or similarity between embeddings. The direction is the distance's own property
/// (<see cref="IsInverted"/>): losses and miners ask it which of two values is closer instead of assuming
/// "smaller is closer", so every loss works with every distance.
/// </summary>
/// <remarks>
/// Matrices are query × reference. When <see cref="NormalizeEmbeddings"/> is set, both sides are
/// normalised first (with gradient; L2, or the distance's own p-norm for <see cref="LpDistance"/>), and <see cref="Power"/> raises the result elementwise
/// (e.g. power 2 for squared Euclidean distance).
/// </remarks>
public abstract class Distance
{
    /// <summary>Creates a distance.</summary>
    /// <param name="normalizeEmbeddings">L2-normalise embeddings before comparing them.</param>
    /// <param name="power">Exponent applied to each value (1 = none).</param>
    /// <param name="isInverted">True for similarities, where larger values mean closer.</param>
    protected Distance(bool normalizeEmbeddings, float power, bool isInverted)
    {
        if (!(power > 0) || float.IsInfinity(power))
        {
            throw new ArgumentOutOfRangeException(nameof(power), power, "The power must be a finite number > 0.");
        }
        NormalizeEmbeddings = normalizeEmbeddings;
        Power = power;
        IsInverted = isInverted;
    }

    /// <summary>
    /// True when <see cref="Pairwise"/> of <paramref name="other"/> gives exactly this distance's values and graph
    /// (same type and options), so a matrix computed with one can stand in for the other.
    /// </summary>
    internal virtual bool ComputesSameAs(Distance other) => ReferenceEquals(this, other);

    /// <summary>Whether embeddings are L2-normalised before comparison.</summary>
    public bool NormalizeEmbeddings { get; }

    /// <summary>Exponent applied to each distance value.</summary>
    public float Power { get; }

    /// <summary>True for similarities (larger = closer), false for distances (smaller = closer).</summary>
    public bool IsInverted { get; }

    /// <summary>
    /// The search metric (<see cref="Search.VectorMetric"/>, used by indexes, dedup and calibration) that ranks
    /// neighbours as this distance does: Euclidean on raw rows → <c>L2</c>; Euclidean on normalised rows, cosine
    /// similarity, or a normalised dot product → <c>Cosine</c>; a raw dot product → <c>InnerProduct</c>. The ranking
    /// agrees (any power); the values may not (e.g. <c>Cosine</c> reports 1 − cos where a normalised
    /// <see cref="LpDistance"/> gives √(2 − 2cos)).
    /// </summary>
    /// <exception cref="NotSupportedException">No search metric ranks as this distance (p ≠ 2, SNR).</exception>
    public Search.VectorMetric ToVectorMetric() => this switch
    {
        LpDistance { P: 2f } lp => lp.NormalizeEmbeddings ? Search.VectorMetric.Cosine : Search.VectorMetric.L2,
        CosineSimilarity => Search.VectorMetric.Cosine,
        DotProductSimilarity dot => dot.NormalizeEmbeddings ? Search.VectorMetric.Cosine : Search.VectorMetric.InnerProduct,
        _ => throw new NotSupportedException($"{GetType().Name} has no equivalent search metric (VectorMetric covers L2, cosine and inner product)."),
    };

    /// <summary>
    /// The evaluation metric (<see cref="DeepMetric.Evaluation.KnnMetric"/>, used by the kNN accuracy code) that ranks
    /// neighbours as this distance does: Euclidean on raw rows → <c>Euclidean</c>; Euclidean on normalised rows, cosine
    /// similarity or a normalised dot product → <c>Cosine</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">No evaluation metric ranks as this distance (raw dot product, p ≠ 2, SNR).</exception>
    public KnnMetric ToKnnMetric() => ToVectorMetric() switch
    {
        Search.VectorMetric.L2 => KnnMetric.Euclidean,
        Search.VectorMetric.Cosine => KnnMetric.Cosine,
        _ => throw new NotSupportedException($"{GetType().Name} without normalisation ranks by inner product, which KnnMetric does not offer (use VectorMetric.InnerProduct with a search index)."),
    };

    /// <summary>
    /// The query × reference matrix of values, differentiable with respect to both sides.
    /// With <paramref name="reference"/> null the reference set is the query set itself.
    /// </summary>
    public Tensor Pairwise(Tensor query, Tensor? reference = null)
    {
        CheckEmbeddings(query, nameof(query));
        if (reference is not null)
        {
            CheckEmbeddings(reference, nameof(reference));
            if (reference.Dim(1) != query.Dim(1))
            {
                throw new ArgumentException($"The reference embeddings have dimension {reference.Dim(1)} but the query embeddings {query.Dim(1)}.", nameof(reference));
            }
        }
        var q = Prepare(query);
        var r = reference is null ? q : Prepare(reference);
        var m = ComputePairwise(q, r, reference is null);
        return PairwiseIncludesPower ? m : ApplyPower(m);
    }

    /// <summary>
    /// The same values as <see cref="Pairwise"/>, computed <paramref name="maxRowsPerBlock"/> query rows at a time for
    /// sets whose full N × M matrix would not fit in memory (e.g. evaluating retrieval on a large gallery).
    /// Each block is a [rows, M] tensor with no gradient (computed under <see cref="Tensor.NoGrad"/>), yielded with
    /// the index of its first query row; the blocks cover the query rows in order.
    /// </summary>
    /// <param name="query">Query embeddings [N, D].</param>
    /// <param name="reference">Reference embeddings [M, D], or null to compare the query set with itself.</param>
    /// <param name="maxRowsPerBlock">Largest number of query rows per block (≥ 1).</param>
    /// <exception cref="ArgumentException">Shapes are not [N, D] / [M, D] with equal D.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRowsPerBlock"/> is below 1.</exception>
    public IEnumerable<(int RowStart, Tensor Block)> PairwiseBlocks(Tensor query, Tensor? reference, int maxRowsPerBlock)
    {
        CheckEmbeddings(query, nameof(query));
        if (reference is not null)
        {
            CheckEmbeddings(reference, nameof(reference));
            if (reference.Dim(1) != query.Dim(1))
            {
                throw new ArgumentException($"The reference embeddings have dimension {reference.Dim(1)} but the query embeddings {query.Dim(1)}.", nameof(reference));
            }
        }
        if (maxRowsPerBlock < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRowsPerBlock), maxRowsPerBlock, "At least one query row per block is needed.");
        }
        return PairwiseBlocksCore(query, reference, maxRowsPerBlock);
    }

    private IEnumerable<(int RowStart, Tensor Block)> PairwiseBlocksCore(Tensor query, Tensor? reference, int maxRowsPerBlock)
    {
        Tensor q, r;
        using (Tensor.NoGrad())
        {
            // Normalise each side once, not once per block.
            q = Prepare(query);
            r = reference is null ? q : Prepare(reference);
        }
        int n = query.Dim(0);
        for (int start = 0; start < n; start += maxRowsPerBlock)
        {
            Tensor block;
            // The scope ends before the yield, so the caller's code between blocks keeps its own gradient mode.
            using (Tensor.NoGrad())
            {
                var rows = Ops.Slice(q, 0, start, Math.Min(maxRowsPerBlock, n - start));
                var m = ComputePairwise(rows, r, sameSet: false);
                block = PairwiseIncludesPower ? m : ApplyPower(m);
            }
            yield return (start, block);
        }
    }

    /// <summary>Values between matching rows of <paramref name="a"/> and <paramref name="b"/> (both [N, D]) → [N].</summary>
    public Tensor Paired(Tensor a, Tensor b)
    {
        CheckEmbeddings(a, nameof(a));
        CheckEmbeddings(b, nameof(b));
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
        {
            throw new ArgumentException($"Paired needs two [N, D] tensors of the same shape; got [{string.Join(", ", a.Shape)}] and [{string.Join(", ", b.Shape)}].", nameof(b));
        }
        return ApplyPower(ComputePaired(Prepare(a), Prepare(b)));
    }

    /// <summary>
    /// How much closer <paramref name="closer"/> is than <paramref name="farther"/>, positive when the order is right:
    /// <c>farther − closer</c> for distances and <c>closer − farther</c> for similarities.
    /// Hinge losses are written once as relu(margin − Separation(pos, neg)).
    /// </summary>
    public Tensor Separation(Tensor closer, Tensor farther) => IsInverted ? Ops.Sub(closer, farther) : Ops.Sub(farther, closer);

    /// <summary><see cref="Separation(Tensor, Tensor)"/> against a constant on the far side (e.g. a margin).</summary>
    public Tensor Separation(Tensor closer, float farther) => IsInverted ? Ops.Add(closer, -farther) : Ops.RSub(farther, closer);

    /// <summary><see cref="Separation(Tensor, Tensor)"/> against a constant on the near side (e.g. a margin).</summary>
    public Tensor Separation(float closer, Tensor farther) => IsInverted ? Ops.RSub(closer, farther) : Ops.Add(farther, -closer);

    /// <summary>Scalar form of <see cref="Separation(Tensor, Tensor)"/>, for miners.</summary>
    public float Separation(float closer, float farther) => IsInverted ? closer - farther : farther - closer;

    /// <summary>True when value <paramref name="a"/> means closer than value <paramref name="b"/>.</summary>
    public bool IsCloser(float a, float b) => IsInverted ? a > b : a < b;

    /// <summary>The value meaning "infinitely far" (+∞ for distances, −∞ for similarities), for masking in mining.</summary>
    public float Farthest => IsInverted ? float.NegativeInfinity : float.PositiveInfinity;

    /// <summary>The value meaning "infinitely close" (−∞ for distances, +∞ for similarities).</summary>
    public float Closest => IsInverted ? float.PositiveInfinity : float.NegativeInfinity;

    /// <summary>Computes the matrix on prepared (normalised if requested) embeddings.</summary>
    /// <param name="query">[N, D].</param>
    /// <param name="reference">[M, D]; the same object as <paramref name="query"/> when <paramref name="sameSet"/>.</param>
    /// <param name="sameSet">The reference set is the query set (the diagonal holds self-comparisons).</param>
    protected abstract Tensor ComputePairwise(Tensor query, Tensor reference, bool sameSet);

    /// <summary>True when <see cref="ComputePairwise"/> already applied <see cref="Power"/> (a cheaper exact form exists).</summary>
    protected virtual bool PairwiseIncludesPower => false;

    /// <summary>Computes row-wise values on prepared embeddings.</summary>
    protected abstract Tensor ComputePaired(Tensor a, Tensor b);

    private Tensor Prepare(Tensor x) => NormalizeEmbeddings ? Normalize(x) : x;

    /// <summary>
    /// Scales each row to unit norm when <see cref="NormalizeEmbeddings"/> is set: the L2 norm, except for
    /// <see cref="LpDistance"/>, which uses its own p-norm (as PyTorch Metric Learning does).
    /// </summary>
    protected virtual Tensor Normalize(Tensor x) => Ops.L2Normalize(x, axis: 1);

    private Tensor ApplyPower(Tensor m) => Power == 1f ? m : Ops.Pow(m, Power);

    private static void CheckEmbeddings(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.Rank != 2)
        {
            throw new ArgumentException($"Embeddings must be a 2-D tensor [N, D]; got rank {x.Rank}.", name);
        }
    }
}

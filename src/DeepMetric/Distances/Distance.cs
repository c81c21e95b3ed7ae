using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// A distance or similarity between embeddings. The direction is the distance's own property
/// (<see cref="IsInverted"/>): losses and miners ask it which of two values is closer instead of assuming
/// "smaller is closer", so every loss works with every distance.
/// </summary>
/// <remarks>
/// Matrices are query × reference. When <see cref="NormalizeEmbeddings"/> is set, both sides are
/// L2-normalised first (with gradient), and <see cref="Power"/> raises the result elementwise
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

    /// <summary>Whether embeddings are L2-normalised before comparison.</summary>
    public bool NormalizeEmbeddings { get; }

    /// <summary>Exponent applied to each distance value.</summary>
    public float Power { get; }

    /// <summary>True for similarities (larger = closer), false for distances (smaller = closer).</summary>
    public bool IsInverted { get; }

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

    private Tensor Prepare(Tensor x) => NormalizeEmbeddings ? Ops.L2Normalize(x, axis: 1) : x;

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

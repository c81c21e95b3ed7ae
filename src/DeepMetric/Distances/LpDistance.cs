using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The Lp (Minkowski) distance (‖x − y‖ₚ): p = 1 Manhattan, p = 2 Euclidean (default), p = ∞ Chebyshev, any p &gt; 0.
/// By default embeddings are normalised first, as is usual in metric learning, with the distance's own p-norm
/// (‖x‖ₚ = 1; the L2 norm for p = 2), as PyTorch Metric Learning does.
/// </summary>
/// <remarks>
/// p = 2 uses the GEMM form √(‖x‖² + ‖y‖² − 2x·y), clamped at 0; the square root has gradient 0 at 0, so
/// duplicated embeddings never give NaN gradients. Other p broadcast the differences (memory N·M·D).
/// </remarks>
public sealed class LpDistance : Distance
{
    /// <summary>Creates an Lp distance.</summary>
    /// <param name="p">The order p &gt; 0 (<see cref="float.PositiveInfinity"/> for Chebyshev).</param>
    /// <param name="normalizeEmbeddings">Normalise embeddings to unit p-norm first.</param>
    /// <param name="power">Raise each distance to this power (2 with p = 2 gives squared Euclidean).</param>
    public LpDistance(float p = 2f, bool normalizeEmbeddings = true, float power = 1f)
        : base(normalizeEmbeddings, power, isInverted: false)
    {
        if (!(p > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must be > 0 (use float.PositiveInfinity for the Chebyshev distance).");
        }
        P = p;
    }

    /// <summary>The order p.</summary>
    public float P { get; }

    internal override bool ComputesSameAs(Distance other) =>
        other is LpDistance o && o.P.Equals(P) && o.Power.Equals(Power) && o.NormalizeEmbeddings == NormalizeEmbeddings;

    /// <inheritdoc/>
    protected override bool PairwiseIncludesPower => P == 2f && Power == 2f;

    /// <inheritdoc/>
    protected override Tensor ComputePairwise(Tensor query, Tensor reference, bool sameSet)
    {
        if (P == 2f)
        {
            var d2 = SquaredEuclidean(query, reference);
            return PairwiseIncludesPower ? d2 : Ops.Sqrt(d2);
        }
        // [N,1,D] − [1,M,D] → [N,M,D]
        var diff = Ops.Sub(Ops.Unsqueeze(query, 1), Ops.Unsqueeze(reference, 0));
        return Reduce(diff, axis: 2);
    }

    /// <inheritdoc/>
    protected override Tensor ComputePaired(Tensor a, Tensor b) => Reduce(Ops.Sub(a, b), axis: 1);

    /// <inheritdoc/>
    protected override Tensor Normalize(Tensor x)
    {
        if (P == 2f)
        {
            return Ops.L2Normalize(x, axis: 1);
        }
        // x / max(‖x‖ₚ, 1e-12), as torch.nn.functional.normalize.
        var norm = float.IsPositiveInfinity(P) ? Ops.Max(Ops.Abs(x), 1, keepDim: true) : Ops.Unsqueeze(Reduce(x, axis: 1), 1);
        return Ops.Div(x, Ops.Clamp(norm, min: 1e-12f));
    }

    /// <summary>‖q‖² + ‖r‖² − 2·q·rᵀ clamped at 0 (rounding can make it slightly negative).</summary>
    internal static Tensor SquaredEuclidean(Tensor query, Tensor reference)
    {
        var qn = Ops.Sum(Ops.Mul(query, query), 1, keepDim: true);                              // [N,1]
        var rn = ReferenceEquals(query, reference) ? qn : Ops.Sum(Ops.Mul(reference, reference), 1, keepDim: true);
        var cross = Ops.Matmul(query, reference, transA: false, transB: true);                   // [N,M]
        var d2 = Ops.Add(Ops.Sub(qn, Ops.Mul(cross, 2f)), Ops.Transpose(rn, 0, 1));
        return Ops.Clamp(d2, min: 0f);
    }

    private Tensor Reduce(Tensor diff, int axis)
    {
        var abs = Ops.Abs(diff);
        if (float.IsPositiveInfinity(P))
        {
            return Ops.Max(abs, axis);
        }
        if (P == 1f)
        {
            return Ops.Sum(abs, axis);
        }
        var s = Ops.Sum(Ops.Pow(abs, P), axis);
        return Ops.Pow(s, 1f / P);
    }
}

using DeepMetric.Data.Images;
using DeepMetric.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace DeepMetric.Distances;

/// <summary>
/// The Lp (Minkowski) distance (‖x − y‖ₚ): p = 1 Manhattan, p = 2 Euclidean (default), p = ∞ Chebyshev, any p &gt; 0.
/// By default embeddings are normalised first, as is usual in metric learning, with the distance's own p-norm
/// (‖x‖ₚ = 1; the L2 norm for p = 2), as PyTorch Metric Learning does.
/// </summary>
/// <remarks>
/// p = 2 uses the GEMM form √(‖x‖² + ‖y‖² − 2x·y), clamped at 0, and recomputes the entries it puts within
/// 1e-4·(‖x‖² + ‖y‖²) of 0 as Σ(x − y)², where the GEMM form's cancellation leaves ≈ 1e-7·‖x‖² of rounding (≈ 5e-4
/// after the square root for identical unit rows). So identical rows are exactly 0 apart, as with
/// <c>torch.cdist</c> on the batches pytorch-metric-learning users see; the gradient is the GEMM form's, which is the
/// same derivative. The square root has gradient 0 at 0, so duplicated embeddings never give NaN gradients. Other p
/// broadcast the differences (memory N·M·D).
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
            RefineNearZero(query, reference, d2, sameSet);
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

    /// <summary>
    /// Overwrites the GEMM-form values near 0 (within 1e-4 of ‖q‖² + ‖r‖², i.e. closer than 1 % of the norms) with
    /// Σ(q − r)², and the same-set diagonal with 0. Written into the clamp's fresh output, whose backward reads only
    /// its input, so the gradient stays the GEMM form's (the same derivative) and the square root's backward sees
    /// the exact value. Rare outside duplicates and collapsed embeddings: the cost is one pass over the [N, M] values.
    /// </summary>
    private static void RefineNearZero(Tensor query, Tensor reference, Tensor d2, bool sameSet)
    {
        const float RelativeTolerance = 1e-4f;
        int n = query.Dim(0), m = reference.Dim(0), dim = query.Dim(1);
        var q = query.ReadOnlySpan;
        var r = reference.ReadOnlySpan;
        var values = d2.Span;
        var qn = new float[n];
        var rn = new float[m];
        for (int i = 0; i < n; i++)
        {
            qn[i] = TensorPrimitives.SumOfSquares(q.Slice(i * dim, dim));
        }
        for (int j = 0; j < m; j++)
        {
            rn[j] = TensorPrimitives.SumOfSquares(r.Slice(j * dim, dim));
        }
        float[]? diff = null;
        for (int i = 0; i < n; i++)
        {
            var row = values.Slice(i * m, m);
            for (int j = 0; j < m; j++)
            {
                if (row[j] > RelativeTolerance * (qn[i] + rn[j]))
                {
                    continue;
                }
                if (sameSet && i == j)
                {
                    row[j] = 0f;
                    continue;
                }
                diff ??= new float[dim];
                TensorPrimitives.Subtract(q.Slice(i * dim, dim), r.Slice(j * dim, dim), diff);
                row[j] = TensorPrimitives.SumOfSquares(diff);
            }
        }
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

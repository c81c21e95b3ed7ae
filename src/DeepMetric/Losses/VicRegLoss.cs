using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// VICReg of Bardes, Ponce &amp; LeCun, "VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised
/// Learning" (ICLR 2022), on two views Z, Z′ [N, D] whose rows i are the two views of one sample:
/// <code>
/// L = λ s(Z, Z′) + μ (v(Z) + v(Z′))/2 + ν (c(Z) + c(Z′))
/// s = (1/(N·D)) Σ_i ‖z_i − z′_i‖²                                  (invariance, mean squared error)
/// v(Z) = (1/D) Σ_k [γ − √(Var(z_·k) + ε)]₊                          (variance; unbiased Var over the batch)
/// c(Z) = (1/D) Σ_{k≠l} C(Z)_kl²,  C(Z) = (1/(N−1)) Σ_i (z_i − z̄)(z_i − z̄)ᵀ   (covariance)
/// </code>
/// Defaults λ = μ = 25, ν = 1, γ = 1, ε = 10⁻⁴. The paper's equation adds v(Z) + v(Z′); its reference code (and
/// PyTorch Metric Learning) averages the two variance terms, which is what the default weights were tuned with and
/// what this class computes.
/// </summary>
/// <remarks>
/// Two views are passed as the batch and its reference set: call <see cref="Compute(Tensor, Tensor)"/>, or the general
/// <c>Compute(view1, labels, refEmbeddings: view2, refLabels: labels)</c>; labels are ignored and row i of the
/// reference must be the second view of row i. Terms are "invariance", "variance" and "covariance", weighted and
/// already reduced. The distance is not used. Each view needs at least 2 rows (the variance is unbiased).
/// </remarks>
public sealed class VicRegLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="invarianceWeight">λ, the weight of the invariance term.</param>
    /// <param name="varianceWeight">μ, the weight of the variance term.</param>
    /// <param name="covarianceWeight">ν, the weight of the covariance term.</param>
    /// <param name="gamma">γ, the target standard deviation of each dimension.</param>
    /// <param name="epsilon">ε added to the variance under the square root.</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers (computed on the first view).</param>
    public VicRegLoss(float invarianceWeight = 25f, float varianceWeight = 25f, float covarianceWeight = 1f, float gamma = 1f, float epsilon = 1e-4f,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(new LpDistance(normalizeEmbeddings: false), new MeanReducer(), embeddingRegularizers)
    {
        Guard.NonNegative(invarianceWeight);
        Guard.NonNegative(varianceWeight);
        Guard.NonNegative(covarianceWeight);
        Guard.NonNegative(gamma);
        Guard.Positive(epsilon);
        InvarianceWeight = invarianceWeight;
        VarianceWeight = varianceWeight;
        CovarianceWeight = covarianceWeight;
        Gamma = gamma;
        Epsilon = epsilon;
    }

    /// <summary>λ, the invariance weight.</summary>
    public float InvarianceWeight { get; }

    /// <summary>μ, the variance weight.</summary>
    public float VarianceWeight { get; }

    /// <summary>ν, the covariance weight.</summary>
    public float CovarianceWeight { get; }

    /// <summary>γ, the target standard deviation.</summary>
    public float Gamma { get; }

    /// <summary>ε under the square root of the variance.</summary>
    public float Epsilon { get; }

    /// <summary>The loss of two views [N, D] of the same N samples (row i of each is one sample).</summary>
    /// <exception cref="ArgumentException">The views differ in shape, are not 2-D, have fewer than 2 rows or non-finite values.</exception>
    public Tensor Compute(Tensor view1, Tensor view2)
    {
        ArgumentNullException.ThrowIfNull(view1);
        ArgumentNullException.ThrowIfNull(view2);
        var labels = new int[view1.Rank == 2 ? view1.Dim(0) : 0];
        var refLabels = new int[view2.Rank == 2 ? view2.Dim(0) : 0];
        return Compute(view1, labels, refEmbeddings: view2, refLabels: refLabels);
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        if (batch.SameSet)
        {
            throw new ArgumentException("VicRegLoss needs the second view: call Compute(view1, view2) or pass it as refEmbeddings.", "refEmbeddings");
        }
        if (batch.Tuples is not null)
        {
            throw new ArgumentException("VicRegLoss pairs row i of the two views; mined tuples are not supported.", "tuples");
        }
        var z1 = batch.Embeddings;
        var z2 = batch.Reference;
        if (z2.Dim(0) != z1.Dim(0))
        {
            throw new ArgumentException($"The second view has {z2.Dim(0)} rows but the first has {z1.Dim(0)}; row i of each must be the same sample.", "refEmbeddings");
        }
        if (z1.Dim(0) < 2)
        {
            throw new ArgumentException($"VicRegLoss needs at least 2 rows per view for the unbiased variance; got {z1.Dim(0)}.", "embeddings");
        }
        var diff = Ops.Sub(z1, z2);
        yield return new LossTerm("invariance", Ops.Mul(Ops.Mean(Ops.Mul(diff, diff)), InvarianceWeight), LossTermKind.AlreadyReduced);
        var (v1, c1) = VarianceAndCovariance(z1);
        var (v2, c2) = VarianceAndCovariance(z2);
        yield return new LossTerm("variance", Ops.Mul(Ops.Add(v1, v2), 0.5f * VarianceWeight), LossTermKind.AlreadyReduced);
        yield return new LossTerm("covariance", Ops.Mul(Ops.Add(c1, c2), CovarianceWeight), LossTermKind.AlreadyReduced);
    }

    private (Tensor Variance, Tensor Covariance) VarianceAndCovariance(Tensor z)
    {
        int n = z.Dim(0), d = z.Dim(1);
        var centered = Ops.Sub(z, Ops.Mean(z, 0, keepDim: true));
        float unbiased = 1f / (n - 1);
        var variance = Ops.Mul(Ops.Sum(Ops.Mul(centered, centered), 0), unbiased);
        var std = Ops.Sqrt(Ops.Add(variance, Epsilon));
        var hinge = Ops.Mean(Ops.Relu(Ops.RSub(Gamma, std)));
        var cov = Ops.Mul(Ops.Matmul(centered, centered, transA: true, transB: false), unbiased);
        var offDiagonal = new float[d * d];
        Array.Fill(offDiagonal, 1f);
        for (int k = 0; k < d; k++)
        {
            offDiagonal[(k * d) + k] = 0f;
        }
        var covTerm = Ops.Mul(Ops.Sum(Ops.Mul(Ops.Mul(cov, cov), Tensor.Wrap(offDiagonal, d, d))), 1f / d);
        return (hinge, covTerm);
    }
}

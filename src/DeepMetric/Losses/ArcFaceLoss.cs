using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// ArcFace / additive angular margin loss of Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face
/// Recognition" (CVPR 2019): the margin is added to the target angle, ψ(θ) = cos(θ + m), and the logits are scaled by s:
/// ℓᵢ = −log( e^{s·cos(θ_yᵢ + m)} / (e^{s·cos(θ_yᵢ + m)} + Σ_{c≠yᵢ} e^{s·cos θ_c}) ).
/// </summary>
/// <remarks>
/// <para>cos(θ + m) is evaluated as cos θ·cos m − sin θ·sin m with sin θ = √max(0, 1 − cos²θ) (no acos; the clamp keeps
/// the gradient finite where |cos θ| rounds to 1).</para>
/// <para>cos(θ + m) is not monotone once θ + m &gt; π. As in the authors' reference implementation (insightface), when
/// θ &gt; π − m (cos θ ≤ cos(π − m)) the target logit falls back to the CosFace-like cos θ − m·sin m, which is
/// continuous there and keeps decreasing with θ. With <c>easyMargin</c> the margin is applied only where
/// cos θ &gt; 0 and the plain cos θ is used elsewhere (the reference code's "easy margin" option).</para>
/// <para>Defaults (as PyTorch Metric Learning): s = 64, m = 28.6° (0.499 rad), W [C, D] ~ N(0, 1), mean over the batch.
/// The margin is given in degrees, as PML and every angle in this library.
/// Parameter: <c>weight</c>.</para>
/// </remarks>
public sealed class ArcFaceLoss : AngularMarginLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="margin">m in degrees, in [0, 90].</param>
    /// <param name="scale">s.</param>
    /// <param name="easyMargin">Apply the margin only where cos θ &gt; 0.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public ArcFaceLoss(int numClasses, int embeddingSize, float margin = 28.6f, float scale = 64f, bool easyMargin = false, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize, NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            scale, CheckArcMargin(margin), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        EasyMargin = easyMargin;
    }

    /// <summary>Whether the easy-margin variant is used.</summary>
    public bool EasyMargin { get; }

    /// <inheritdoc/>
    protected override Tensor ApplyMargin(Tensor targetCosines) => AdditiveAngularMargin(targetCosines, Radians(Margin), EasyMargin);

    /// <summary>Degrees to radians.</summary>
    internal static float Radians(float degrees) => degrees * (MathF.PI / 180f);

    /// <summary>cos(θ + m) from cos θ with the fallbacks described on <see cref="ArcFaceLoss"/>.</summary>
    internal static Tensor AdditiveAngularMargin(Tensor cos, float margin, bool easyMargin)
    {
        float cosM = MathF.Cos(margin), sinM = MathF.Sin(margin);
        var sin = Ops.Sqrt(Ops.Clamp(Ops.RSub(1f, Ops.Mul(cos, cos)), min: 0f));
        var phi = Ops.Sub(Ops.Mul(cos, cosM), Ops.Mul(sin, sinM));
        if (easyMargin)
        {
            return Ops.Where(Ops.Gt(cos, 0f), phi, cos);
        }
        return Ops.Where(Ops.Gt(cos, MathF.Cos(MathF.PI - margin)), phi, Ops.Add(cos, -margin * sinM));
    }

    internal static float CheckArcMargin(float margin) => Guard.InRange(margin, 0f, 90f);
}

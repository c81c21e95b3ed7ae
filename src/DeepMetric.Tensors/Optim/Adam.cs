using System.Numerics.Tensors;

namespace DeepMetric.Tensors.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) with optional L2 weight
/// decay and AMSGrad (Reddi, Kale &amp; Kumar, "On the Convergence of Adam and Beyond", ICLR 2018), with
/// PyTorch 1.13's <c>torch.optim.Adam</c> update.
/// </summary>
/// <remarks>
/// At update t (counted per parameter, starting at 1), for gradient g, parameter p, learning rate η and
/// weight decay λ:
/// <code>
/// g ← g + λ·p                                   (if λ ≠ 0: L2 penalty, coupled with the adaptive scaling)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v)   and use v̂ in place of v    (AMSGrad only)
/// p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// ε is added after the bias correction of √v, as PyTorch does (the paper adds it to √v̂ₜ of the
/// bias-corrected estimate, which is the same thing). Use <see cref="AdamW"/> for decoupled weight decay.
/// State buffers: <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v), <c>max_exp_avg_sq</c> (v̂).
/// </remarks>
public sealed class Adam : Optimizer
{
    private const int ExpAvg = 0;
    private const int ExpAvgSq = 1;
    private const int MaxExpAvgSq = 2;

    /// <summary>Creates Adam over one group of parameters.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Learning rate η.</param>
    /// <param name="beta1">Decay rate β₁ of the first moment.</param>
    /// <param name="beta2">Decay rate β₂ of the second moment.</param>
    /// <param name="eps">ε added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="amsGrad">Use the AMSGrad variant.</param>
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, bool amsGrad = false)
        : this(SingleGroup(parameters), lr, beta1, beta2, eps, weightDecay, amsGrad)
    {
    }

    /// <summary>Creates Adam over parameter groups; the arguments are defaults for options a group leaves null.</summary>
    /// <param name="paramGroups">The groups, possibly with their own options.</param>
    /// <param name="lr">Default learning rate η.</param>
    /// <param name="beta1">Default β₁.</param>
    /// <param name="beta2">Default β₂.</param>
    /// <param name="eps">Default ε.</param>
    /// <param name="weightDecay">Default L2 penalty λ.</param>
    /// <param name="amsGrad">Default for AMSGrad.</param>
    public Adam(IEnumerable<ParamGroup> paramGroups, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, bool amsGrad = false)
        : base(paramGroups, new ParamGroup([]) { LearningRate = lr, Beta1 = beta1, Beta2 = beta2, Epsilon = eps, WeightDecay = weightDecay, AmsGrad = amsGrad }, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    {
    }

    /// <inheritdoc/>
    protected override void CheckGroup(ParamGroup group, int groupIndex)
    {
        // Every option is range-checked by ParamGroup; Adam has no cross-option constraints.
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, int index, Span<float> param, ReadOnlySpan<float> grad, long step)
    {
        float weightDecay = group.WeightDecay!.Value;
        if (weightDecay != 0f)
        {
            var decayed = Scratch(0, param.Length);
            TensorPrimitives.MultiplyAdd(param, weightDecay, grad, decayed);
            grad = decayed;
        }
        var vMax = group.AmsGrad!.Value ? GetState(MaxExpAvgSq, index, out _).AsSpan() : [];
        AdamKernel.Apply(
            param, grad, GetState(ExpAvg, index, out _), GetState(ExpAvgSq, index, out _), vMax, Scratch(1, param.Length),
            group.LearningRate!.Value, group.Beta1!.Value, group.Beta2!.Value, group.Epsilon!.Value, step);
    }
}

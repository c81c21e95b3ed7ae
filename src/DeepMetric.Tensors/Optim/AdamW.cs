using System.Numerics.Tensors;

namespace DeepMetric.Tensors.Optim;

/// <summary>
/// AdamW: Adam with decoupled weight decay (Loshchilov &amp; Hutter, "Decoupled Weight Decay
/// Regularization", ICLR 2019), with PyTorch 1.13's <c>torch.optim.AdamW</c> update.
/// </summary>
/// <remarks>
/// At update t (counted per parameter, starting at 1), for gradient g, parameter p, learning rate η and
/// weight decay λ:
/// <code>
/// p ← p · (1 − η·λ)                             (decoupled decay, applied first)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v)   and use v̂ in place of v    (AMSGrad only)
/// p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// As in PyTorch the decay is scaled by η (the paper's schedule multiplier times its α),
/// so a learning-rate schedule also scales the decay. Default λ = 0.01.
/// State buffers: <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>.
/// </remarks>
public sealed class AdamW : Optimizer
{
    private const int ExpAvg = 0;
    private const int ExpAvgSq = 1;
    private const int MaxExpAvgSq = 2;

    /// <summary>Creates AdamW over one group of parameters.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Learning rate η.</param>
    /// <param name="beta1">Decay rate β₁ of the first moment.</param>
    /// <param name="beta2">Decay rate β₂ of the second moment.</param>
    /// <param name="eps">ε added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay λ.</param>
    /// <param name="amsGrad">Use the AMSGrad variant.</param>
    public AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f, bool amsGrad = false)
        : this(SingleGroup(parameters), lr, beta1, beta2, eps, weightDecay, amsGrad)
    {
    }

    /// <summary>Creates AdamW over parameter groups; the arguments are defaults for options a group leaves null.</summary>
    /// <param name="paramGroups">The groups, possibly with their own options.</param>
    /// <param name="lr">Default learning rate η.</param>
    /// <param name="beta1">Default β₁.</param>
    /// <param name="beta2">Default β₂.</param>
    /// <param name="eps">Default ε.</param>
    /// <param name="weightDecay">Default decoupled weight decay λ.</param>
    /// <param name="amsGrad">Default for AMSGrad.</param>
    public AdamW(IEnumerable<ParamGroup> paramGroups, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 1e-2f, bool amsGrad = false)
        : base(paramGroups, new ParamGroup([]) { LearningRate = lr, Beta1 = beta1, Beta2 = beta2, Epsilon = eps, WeightDecay = weightDecay, AmsGrad = amsGrad }, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    {
    }

    /// <inheritdoc/>
    protected override void CheckGroup(ParamGroup group, int groupIndex)
    {
        // Every option is range-checked by ParamGroup; AdamW has no cross-option constraints.
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, int index, Span<float> param, ReadOnlySpan<float> grad, long step)
    {
        float lr = group.LearningRate!.Value;
        float weightDecay = group.WeightDecay!.Value;
        if (weightDecay != 0f)
        {
            TensorPrimitives.Multiply(param, (float)(1.0 - ((double)lr * weightDecay)), param);
        }
        var vMax = group.AmsGrad!.Value ? GetState(MaxExpAvgSq, index, out _).AsSpan() : [];
        AdamKernel.Apply(
            param, grad, GetState(ExpAvg, index, out _), GetState(ExpAvgSq, index, out _), vMax, Scratch(1, param.Length),
            lr, group.Beta1!.Value, group.Beta2!.Value, group.Epsilon!.Value, step);
    }
}

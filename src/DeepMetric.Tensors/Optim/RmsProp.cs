using System.Numerics.Tensors;

namespace DeepMetric.Tensors.Optim;

/// <summary>
/// RMSprop (Hinton, "Neural Networks for Machine Learning", Coursera lecture 6e, 2012) with optional
/// momentum, L2 weight decay and the centred variant (Graves, "Generating Sequences With Recurrent Neural
/// Networks", arXiv:1308.0850, 2013), with PyTorch 1.13's <c>torch.optim.RMSprop</c> update.
/// </summary>
/// <remarks>
/// For gradient g, parameter p, learning rate η, smoothing α, momentum μ and weight decay λ:
/// <code>
/// g ← g + λ·p                                   (if λ ≠ 0)
/// s ← α·s + (1 − α)·g²
/// a ← α·a + (1 − α)·g;  d ← √max(s − a², 0) + ε  (centred)
/// d ← √s + ε                                     (otherwise)
/// b ← μ·b + g / d;  p ← p − η·b                  (if μ &gt; 0)
/// p ← p − η·g / d                                (otherwise)
/// </code>
/// All averages start at zero. The centred variance is clamped at 0 so float round-off cannot give
/// √(negative) = NaN; in exact arithmetic s ≥ a² always holds, so the update is otherwise PyTorch's.
/// State buffers: <c>square_avg</c> (s), <c>momentum_buffer</c> (b), <c>grad_avg</c> (a).
/// </remarks>
public sealed class RmsProp : Optimizer
{
    private const int SquareAvg = 0;
    private const int MomentumBuffer = 1;
    private const int GradAvg = 2;

    /// <summary>Creates RMSprop over one group of parameters.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Learning rate η.</param>
    /// <param name="alpha">Smoothing constant α of the squared-gradient average.</param>
    /// <param name="eps">ε added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <param name="momentum">Momentum factor μ (0 disables momentum).</param>
    /// <param name="centered">Normalise by the estimated variance instead of the second moment.</param>
    public RmsProp(IEnumerable<Tensor> parameters, float lr = 1e-2f, float alpha = 0.99f, float eps = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : this(SingleGroup(parameters), lr, alpha, eps, weightDecay, momentum, centered)
    {
    }

    /// <summary>Creates RMSprop over parameter groups; the arguments are defaults for options a group leaves null.</summary>
    /// <param name="paramGroups">The groups, possibly with their own options.</param>
    /// <param name="lr">Default learning rate η.</param>
    /// <param name="alpha">Default smoothing constant α.</param>
    /// <param name="eps">Default ε.</param>
    /// <param name="weightDecay">Default L2 penalty λ.</param>
    /// <param name="momentum">Default momentum factor μ.</param>
    /// <param name="centered">Default for the centred variant.</param>
    public RmsProp(IEnumerable<ParamGroup> paramGroups, float lr = 1e-2f, float alpha = 0.99f, float eps = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(paramGroups, new ParamGroup([]) { LearningRate = lr, Alpha = alpha, Epsilon = eps, WeightDecay = weightDecay, Momentum = momentum, Centered = centered }, ["square_avg", "momentum_buffer", "grad_avg"])
    {
    }

    /// <inheritdoc/>
    protected override void CheckGroup(ParamGroup group, int groupIndex)
    {
        // Every option is range-checked by ParamGroup; RMSprop has no cross-option constraints.
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, int index, Span<float> param, ReadOnlySpan<float> grad, long step)
    {
        float alpha = group.Alpha!.Value;
        float weightDecay = group.WeightDecay!.Value;
        float momentum = group.Momentum!.Value;
        if (weightDecay != 0f)
        {
            var decayed = Scratch(0, param.Length);
            TensorPrimitives.MultiplyAdd(param, weightDecay, grad, decayed);
            grad = decayed;
        }
        var tmp = Scratch(1, param.Length);
        var squareAvg = GetState(SquareAvg, index, out _).AsSpan();
        TensorPrimitives.Multiply(grad, grad, tmp);
        TensorPrimitives.Multiply(squareAvg, alpha, squareAvg);
        TensorPrimitives.MultiplyAdd(tmp, 1f - alpha, squareAvg, squareAvg);
        if (group.Centered!.Value)
        {
            var gradAvg = GetState(GradAvg, index, out _).AsSpan();
            TensorPrimitives.Multiply(gradAvg, alpha, gradAvg);
            TensorPrimitives.MultiplyAdd(grad, 1f - alpha, gradAvg, gradAvg);
            TensorPrimitives.Multiply(gradAvg, gradAvg, tmp);
            TensorPrimitives.Subtract(squareAvg, tmp, tmp);
            TensorPrimitives.Max(tmp, 0f, tmp);
            TensorPrimitives.Sqrt(tmp, tmp);
        }
        else
        {
            TensorPrimitives.Sqrt(squareAvg, tmp);
        }
        TensorPrimitives.Add(tmp, group.Epsilon!.Value, tmp);
        TensorPrimitives.Divide(grad, tmp, tmp);
        float lr = group.LearningRate!.Value;
        if (momentum > 0f)
        {
            var buffer = GetState(MomentumBuffer, index, out _).AsSpan();
            TensorPrimitives.Multiply(buffer, momentum, buffer);
            TensorPrimitives.Add(buffer, tmp, buffer);
            TensorPrimitives.MultiplyAdd(buffer, -lr, param, param);
        }
        else
        {
            TensorPrimitives.MultiplyAdd(tmp, -lr, param, param);
        }
    }
}

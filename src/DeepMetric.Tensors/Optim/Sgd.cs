using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepMetric.Tensors.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, with PyTorch 1.13's <c>torch.optim.SGD</c> update.
/// </summary>
/// <remarks>
/// For gradient g, parameter p, learning rate η, weight decay λ, momentum μ and dampening τ:
/// <code>
/// g ← g + λ·p                           (if λ ≠ 0)
/// b ← g                                  (first update of p)
/// b ← μ·b + (1 − τ)·g                    (later updates, if μ ≠ 0)
/// g ← g + μ·b  (Nesterov)   or   g ← b   (if μ ≠ 0)
/// p ← p − η·g
/// </code>
/// Nesterov momentum follows Sutskever, Martens, Dahl &amp; Hinton, "On the importance of initialization
/// and momentum in deep learning" (ICML 2013), in the reformulation PyTorch uses; it needs μ &gt; 0 and τ = 0.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private const int MomentumBuffer = 0;

    /// <summary>Creates SGD over one group of parameters.</summary>
    /// <param name="parameters">The tensors to optimize.</param>
    /// <param name="lr">Learning rate η.</param>
    /// <param name="momentum">Momentum factor μ (0 disables momentum).</param>
    /// <param name="dampening">Dampening τ of the momentum update.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0 and τ = 0).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float dampening = 0f, bool nesterov = false, float weightDecay = 0f)
        : this(SingleGroup(parameters), lr, momentum, dampening, nesterov, weightDecay)
    {
    }

    /// <summary>Creates SGD over parameter groups; the arguments are defaults for options a group leaves null.</summary>
    /// <param name="paramGroups">The groups, possibly with their own options.</param>
    /// <param name="lr">Default learning rate η.</param>
    /// <param name="momentum">Default momentum factor μ.</param>
    /// <param name="dampening">Default dampening τ.</param>
    /// <param name="nesterov">Default for Nesterov momentum.</param>
    /// <param name="weightDecay">Default L2 penalty λ.</param>
    public Sgd(IEnumerable<ParamGroup> paramGroups, float lr, float momentum = 0f, float dampening = 0f, bool nesterov = false, float weightDecay = 0f)
        : base(paramGroups, Defaults(lr, momentum, dampening, nesterov, weightDecay), ["momentum_buffer"])
    {
        for (int g = 0; g < ParamGroups.Count; g++)
        {
            if (Problem(ParamGroups[g], g) is string problem)
            {
                throw new ArgumentException(problem, nameof(paramGroups));
            }
        }
    }

    /// <inheritdoc/>
    protected override void CheckGroup(ParamGroup group, int groupIndex)
    {
        if (Problem(group, groupIndex) is string problem)
        {
            throw new InvalidOperationException(problem);
        }
    }

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, int index, Span<float> param, ReadOnlySpan<float> grad, long step)
    {
        float lr = group.LearningRate!.Value;
        float weightDecay = group.WeightDecay!.Value;
        float momentum = group.Momentum!.Value;
        ReadOnlySpan<float> d = grad;
        if (weightDecay != 0f)
        {
            var decayed = Scratch(0, param.Length);
            TensorPrimitives.MultiplyAdd(param, weightDecay, grad, decayed);
            d = decayed;
        }
        if (momentum != 0f)
        {
            var state = GetState(MomentumBuffer, index, out bool created);
            var buffer = state.AsSpan();
            if (!created && !group.Nesterov!.Value)
            {
                // The common case in one pass over the three arrays instead of three passes.
                MomentumStep(param, d, state, momentum, 1f - group.Dampening!.Value, -lr);
                return;
            }
            if (created)
            {
                d.CopyTo(buffer);
            }
            else
            {
                TensorPrimitives.Multiply(buffer, momentum, buffer);
                TensorPrimitives.MultiplyAdd(d, 1f - group.Dampening!.Value, buffer, buffer);
            }
            if (group.Nesterov!.Value)
            {
                var look = Scratch(0, param.Length);
                TensorPrimitives.MultiplyAdd(buffer, momentum, d, look);
                d = look;
            }
            else
            {
                d = buffer;
            }
        }
        TensorPrimitives.MultiplyAdd(d, -lr, param, param);
    }

    // b ← μ·b; b ← (1 − τ)·g + b; p ← −η·b + p, element by element with the roundings of the three TensorPrimitives
    // passes it replaces (multiply, then add: no fused multiply-add), so the result is the same bit for bit. Large
    // parameters are split over the worker ranges (element-wise: the same bits for any split).
    private static void MomentumStep(Span<float> param, ReadOnlySpan<float> grad, float[] buffer, float momentum, float gradScale, float step)
    {
        if (!KernelThreads.WouldSplit(param.Length / MomentumStepChunk))
        {
            MomentumStepRange(param, grad, buffer.AsSpan(0, param.Length), momentum, gradScale, step);
            return;
        }
        unsafe
        {
            fixed (float* p = param, g = grad)
            {
                nint pp = (nint)p, gp = (nint)g;
                int n = param.Length;
                KernelThreads.For(n / MomentumStepChunk, (range, start, end) =>
                {
                    int from = start * MomentumStepChunk, to = end == n / MomentumStepChunk ? n : end * MomentumStepChunk;
                    MomentumStepRange(new Span<float>((float*)pp + from, to - from), new ReadOnlySpan<float>((float*)gp + from, to - from),
                        buffer.AsSpan(from, to - from), momentum, gradScale, step);
                });
            }
        }
    }

    private const int MomentumStepChunk = 16 * 1024;

    private static void MomentumStepRange(Span<float> param, ReadOnlySpan<float> grad, Span<float> buffer, float momentum, float gradScale, float step)
    {
        int i = 0, n = param.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            var mu = Vector256.Create(momentum);
            var k = Vector256.Create(gradScale);
            var s = Vector256.Create(step);
            ref float p0 = ref MemoryMarshal.GetReference(param);
            ref float g0 = ref MemoryMarshal.GetReference(grad);
            ref float b0 = ref MemoryMarshal.GetReference(buffer);
            for (; i <= n - 8; i += 8)
            {
                var b = Vector256.LoadUnsafe(ref b0, (nuint)i) * mu;
                b = (Vector256.LoadUnsafe(ref g0, (nuint)i) * k) + b;
                b.StoreUnsafe(ref b0, (nuint)i);
                ((b * s) + Vector256.LoadUnsafe(ref p0, (nuint)i)).StoreUnsafe(ref p0, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float b = buffer[i] * momentum;
            b = (grad[i] * gradScale) + b;
            buffer[i] = b;
            param[i] = (b * step) + param[i];
        }
    }

    private static ParamGroup Defaults(float lr, float momentum, float dampening, bool nesterov, float weightDecay) =>
        new([])
        {
            LearningRate = lr,
            Momentum = momentum,
            Dampening = dampening,
            Nesterov = nesterov,
            WeightDecay = weightDecay,
        };

    private static string? Problem(ParamGroup group, int groupIndex) =>
        group.Nesterov == true && (group.Momentum <= 0f || group.Dampening != 0f)
            ? $"Parameter group {groupIndex}: Nesterov momentum needs momentum > 0 and dampening = 0 (momentum {group.Momentum}, dampening {group.Dampening})."
            : null;
}

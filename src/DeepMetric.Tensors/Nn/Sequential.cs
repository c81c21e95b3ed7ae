using System.Collections;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Applies its modules in order. Children are named "0", "1", … so parameters are named like PyTorch's
/// (<c>"0.weight"</c>, <c>"2.bias"</c>). Supports collection-initialiser syntax.
/// </summary>
/// <remarks>
/// A <see cref="ReLU"/> immediately followed by a <see cref="MaxPool2d"/> is computed as the pool first and the ReLU
/// on its (kernel²-fold smaller) output: max is monotone, so maxpool(relu(x)) = relu(maxpool(x)) exactly, and the
/// input gradients agree too (a window whose maximum is ≤ 0 passes no gradient either way; otherwise the same
/// first maximal element receives it). Only these two exact classes are fused. Likewise a 3×3, stride-1
/// <see cref="Conv2d"/> followed by a 2×2 <see cref="MaxPool2d"/> (with or without a ReLU between them) runs as one
/// op that pools each chunk of convolution output while it is still in cache (and applies the ReLU after the pool),
/// with the same values and gradients.
/// </remarks>
/// <example><code>var mlp = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 64));</code></example>
public sealed class Sequential : Module, IEnumerable<Module>
{
    private readonly List<Module> _modules = [];

    /// <summary>Creates the container from <paramref name="modules"/>, in order.</summary>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules)
        {
            Add(m);
        }
    }

    /// <summary>Number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>The module at position <paramref name="index"/> (named by its index).</summary>
    public Module this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_modules.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"Sequential has {_modules.Count} modules.");
            }
            return _modules[index];
        }
    }

    /// <summary>Appends <paramref name="module"/>, named by its position.</summary>
    /// <returns>This container, for chaining.</returns>
    public Sequential Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_modules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _modules.Add(module);
        return this;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        for (int i = 0; i < _modules.Count; i++)
        {
            var m = _modules[i];
            if (m is Conv2d conv && TryConvPool(conv, x, i, out var pooled, out int used))
            {
                x = pooled;
                i += used - 1;
                continue;
            }
            if (m is ReLU relu && i + 1 < _modules.Count && _modules[i + 1] is MaxPool2d pool)
            {
                // Pool first, then ReLU on 1/kernel² of the elements: identical values and gradients (see remarks).
                x = relu.Forward(pool.Forward(x));
                i++;
                continue;
            }
            x = m.Forward(x);
        }
        return x;
    }

    /// <summary>
    /// Conv2d → MaxPool2d(2) or Conv2d → ReLU → MaxPool2d(2) at position <paramref name="i"/> as one fused
    /// convolution + pool op (then the ReLU on the pooled output), when the op supports the shapes.
    /// </summary>
    private bool TryConvPool(Conv2d conv, Tensor x, int i, out Tensor result, out int used)
    {
        result = x;
        used = 0;
        int at = i + 1;
        var relu = at < _modules.Count ? _modules[at] as ReLU : null;
        if (relu is not null)
        {
            at++;
        }
        if (at >= _modules.Count || _modules[at] is not MaxPool2d { Kernel: 2, Stride: 2, Padding: 0 }
            || !Ops.CanFuseConvMaxPool(x, conv.Weight, conv.Stride, conv.Padding, conv.Dilation))
        {
            return false;
        }
        result = Ops.Conv2dMaxPool2x2(x, conv.Weight, conv.Bias, conv.Padding, relu: relu is not null);
        used = at - i + 1;
        return true;
    }

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder("Sequential(");
        for (int i = 0; i < _modules.Count; i++)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n  ({i}): {_modules[i]}");
        }
        return sb.Append(_modules.Count > 0 ? "\n)" : ")").ToString();
    }
}

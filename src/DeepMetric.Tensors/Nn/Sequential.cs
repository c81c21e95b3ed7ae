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
/// first maximal element receives it). Only these two exact classes are fused.
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

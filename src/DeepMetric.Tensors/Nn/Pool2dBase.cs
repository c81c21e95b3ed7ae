namespace DeepMetric.Tensors.Nn;

/// <summary>The shared window settings and input check of the 2-D pooling layers.</summary>
public abstract class Pool2dBase : Module
{
    /// <summary>Validates and stores the window settings.</summary>
    /// <param name="kernel">Window side length (≥ 1).</param>
    /// <param name="stride">Step between windows (≥ 1); null uses the kernel size.</param>
    /// <param name="padding">Padding on each side (≥ 0, at most half the kernel).</param>
    private protected Pool2dBase(int kernel, int? stride, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        if (stride is { } s)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s, nameof(stride));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (2 * padding > kernel)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"Padding must be at most half the kernel size ({kernel}).");
        }
        Kernel = kernel;
        Stride = stride ?? kernel;
        Padding = padding;
    }

    /// <summary>Window side length.</summary>
    public int Kernel { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Padding on each side.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"{GetType().Name} expects input of shape [N, C, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        return Pool(x);
    }

    /// <summary>Applies the pooling op to a checked [N, C, H, W] input.</summary>
    private protected abstract Tensor Pool(Tensor x);

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}(kernel={Kernel}, stride={Stride}, padding={Padding})";
}

namespace DeepMetric.Tensors.Nn;

/// <summary>Average pooling over kernel×kernel windows of [N, C, H, W] inputs.</summary>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernel">Window side length (≥ 1).</param>
    /// <param name="stride">Step between windows (≥ 1); null uses the kernel size.</param>
    /// <param name="padding">Padding on each side (≥ 0, at most half the kernel).</param>
    public AvgPool2d(int kernel, int? stride = null, int padding = 0)
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
            throw new ArgumentException($"AvgPool2d expects input of shape [N, C, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        return Ops.AvgPool2d(x, Kernel, Stride, Padding);
    }

    /// <inheritdoc/>
    public override string ToString() => $"AvgPool2d(kernel={Kernel}, stride={Stride}, padding={Padding})";
}

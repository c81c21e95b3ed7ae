using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// 2-D convolution (cross-correlation) over [N, C, H, W] inputs with a square kernel; parameters
/// <c>weight</c> [out, in, k, k] and <c>bias</c> [out], initialised like PyTorch (Kaiming-uniform with a = √5
/// and bias U(±1/√fan_in), fan_in = in·k²).
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inChannels">Input channels (≥ 1).</param>
    /// <param name="outChannels">Output channels (≥ 1).</param>
    /// <param name="kernel">Kernel side length (≥ 1).</param>
    /// <param name="stride">Step between windows (≥ 1).</param>
    /// <param name="padding">Zero padding on each side (≥ 0).</param>
    /// <param name="dilation">Spacing between kernel taps (≥ 1).</param>
    /// <param name="bias">Whether to add a learned per-channel bias.</param>
    /// <param name="rng">Generator for the initial values; null uses a fixed seed derived from the sizes.</param>
    public Conv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1, bool bias = true, Prng? rng = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dilation);
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        rng ??= Init.DefaultRng(2, inChannels, outChannels, kernel);
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Zeros(outChannels, inChannels, kernel, kernel), rng, a: Math.Sqrt(5)));
        if (bias)
        {
            double bound = 1.0 / Math.Sqrt(inChannels * kernel * kernel);
            Bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros(outChannels), rng, -bound, bound));
        }
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel side length.</summary>
    public int Kernel { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Spacing between kernel taps.</summary>
    public int Dilation { get; }

    /// <summary>Weight of shape [out, in, k, k].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias of shape [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || x.Dims[1] != InChannels)
        {
            throw new ArgumentException($"Conv2d({InChannels}, {OutChannels}) expects input of shape [N, {InChannels}, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        return Ops.Conv2d(x, Weight, Bias, Stride, Padding, Dilation);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Conv2d(in={InChannels}, out={OutChannels}, kernel={Kernel}, stride={Stride}, padding={Padding}, dilation={Dilation}, bias={Bias is not null})";
}

using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// In-place weight initialisation schemes, drawing from an explicitly passed <see cref="Prng"/> so that a seed
/// fixes the result. Each method fills the tensor's storage and returns the same tensor.
/// </summary>
public static class Init
{
    /// <summary>
    /// Fan-in and fan-out of a weight of shape [out, in, k…]: in·∏k and out·∏k (PyTorch's convention).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than two dimensions.</exception>
    public static (int FanIn, int FanOut) ComputeFans(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank < 2)
        {
            throw new ArgumentException($"Fan-in and fan-out need a tensor with at least 2 dimensions, but the shape is {ShapeUtil.Format(weight.Dims)}.", nameof(weight));
        }
        int receptive = ShapeUtil.ProductRange(weight.Dims, 2, weight.Rank);
        return (weight.Dims[1] * receptive, weight.Dims[0] * receptive);
    }

    /// <summary>
    /// The recommended gain for a non-linearity: 1 for linear and sigmoid, 5/3 for tanh, √2 for ReLU and
    /// √(2 / (1 + a²)) for leaky ReLU with slope <paramref name="negativeSlope"/>.
    /// </summary>
    public static double Gain(Nonlinearity nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1.0 + (negativeSlope * negativeSlope))),
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "Unknown non-linearity."),
    };

    /// <summary>
    /// Kaiming (He) uniform initialisation (He et al., 2015, "Delving Deep into Rectifiers"): U(−b, b) with
    /// b = gain·√(3 / fan). With <paramref name="a"/> = √5 and leaky ReLU this is PyTorch's default for
    /// Linear and Conv2d weights, b = 1/√fan_in.
    /// </summary>
    /// <param name="tensor">Weight of shape [out, in, k…].</param>
    /// <param name="rng">The generator to draw from.</param>
    /// <param name="a">Negative slope of the leaky ReLU (used only when <paramref name="nonlinearity"/> is LeakyRelu).</param>
    /// <param name="mode">Whether to preserve forward (fan-in) or backward (fan-out) variance.</param>
    /// <param name="nonlinearity">The activation that follows the layer.</param>
    public static Tensor KaimingUniform(Tensor tensor, Prng rng, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu)
    {
        double std = Gain(nonlinearity, a) / Math.Sqrt(SelectFan(tensor, mode));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(tensor, rng, -bound, bound);
    }

    /// <summary>
    /// Kaiming (He) normal initialisation (He et al., 2015): N(0, σ²) with σ = gain / √fan.
    /// </summary>
    /// <inheritdoc cref="KaimingUniform(Tensor, Prng, double, FanMode, Nonlinearity)"/>
    public static Tensor KaimingNormal(Tensor tensor, Prng rng, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu)
    {
        double std = Gain(nonlinearity, a) / Math.Sqrt(SelectFan(tensor, mode));
        return Normal(tensor, rng, 0, std);
    }

    /// <summary>
    /// Xavier (Glorot) uniform initialisation (Glorot &amp; Bengio, 2010, "Understanding the difficulty of training
    /// deep feedforward neural networks"): U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).
    /// </summary>
    public static Tensor XavierUniform(Tensor tensor, Prng rng, double gain = 1)
    {
        var (fanIn, fanOut) = ComputeFans(tensor);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(tensor, rng, -bound, bound);
    }

    /// <summary>
    /// Xavier (Glorot) normal initialisation (Glorot &amp; Bengio, 2010): N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).
    /// </summary>
    public static Tensor XavierNormal(Tensor tensor, Prng rng, double gain = 1)
    {
        var (fanIn, fanOut) = ComputeFans(tensor);
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return Normal(tensor, rng, 0, std);
    }

    /// <summary>Fills with samples of U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(Tensor tensor, Prng rng, double low, double high)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(high >= low) || !double.IsFinite(low) || !double.IsFinite(high))
        {
            throw new ArgumentOutOfRangeException(nameof(high), $"Uniform needs finite bounds with low ≤ high, got [{low}, {high}].");
        }
        var span = tensor.Span;
        double width = high - low;
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (float)(low + (width * rng.NextDouble()));
        }
        return tensor;
    }

    /// <summary>Fills with samples of N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    public static Tensor Normal(Tensor tensor, Prng rng, double mean = 0, double std = 1)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(std >= 0) || !double.IsFinite(std) || !double.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(nameof(std), $"Normal needs a finite mean and a finite std ≥ 0, got mean {mean}, std {std}.");
        }
        var span = tensor.Span;
        for (int i = 0; i < span.Length; i++)
        {
            span[i] = (float)(mean + (std * rng.NextNormal()));
        }
        return tensor;
    }

    /// <summary>Fills with <paramref name="value"/>.</summary>
    public static Tensor Constant(Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Span.Fill(value);
        return tensor;
    }

    /// <summary>Fills with zeros.</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0f);

    /// <summary>Fills with ones.</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1f);

    private const ulong InitialDefaultSeed = 0x5EED_DEE9_0001UL;

    // Per thread, so parallel code (and parallel tests) cannot perturb each other's default initialisation.
    [ThreadStatic]
    private static ulong? t_defaultSeed;

    [ThreadStatic]
    private static long t_constructed;

    /// <summary>
    /// Resets this thread's default initialisation stream (as <c>torch.manual_seed</c>): modules built without an explicit
    /// <see cref="Prng"/> after this call start from the same weights on every run and machine.
    /// </summary>
    public static void ManualSeed(ulong seed)
    {
        t_constructed = 0;
        t_defaultSeed = seed;
    }

    /// <summary>
    /// The generator a module uses when none is passed: the default seed mixed with the layer kind, its sizes and a
    /// construction counter, so construction is deterministic for a given program and two layers of the same shape
    /// do not start identical.
    /// </summary>
    internal static Prng DefaultRng(int kind, params ReadOnlySpan<int> sizes)
    {
        // FNV-1a over the values; string.GetHashCode is randomised per process, so it cannot be used here.
        ulong h = 0xCBF29CE484222325UL;
        h = (h ^ (t_defaultSeed ?? InitialDefaultSeed)) * 0x100000001B3UL;
        h = (h ^ (ulong)++t_constructed) * 0x100000001B3UL;
        h = (h ^ (uint)kind) * 0x100000001B3UL;
        foreach (int s in sizes)
        {
            h = (h ^ (uint)s) * 0x100000001B3UL;
        }
        return new Prng(h);
    }

    private static int SelectFan(Tensor tensor, FanMode mode)
    {
        var (fanIn, fanOut) = ComputeFans(tensor);
        int fan = mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown fan mode."),
        };
        if (fan == 0)
        {
            throw new ArgumentException($"Cannot initialise a tensor of shape {ShapeUtil.Format(tensor.Dims)}: its {mode} is zero.", nameof(tensor));
        }
        return fan;
    }
}

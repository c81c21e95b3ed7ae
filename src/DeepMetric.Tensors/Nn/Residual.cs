namespace DeepMetric.Tensors.Nn;

/// <summary>
/// A residual connection: <c>y = body(x) + shortcut(x)</c>, with the identity as the default shortcut (He et al.,
/// "Deep Residual Learning for Image Recognition", CVPR 2016). When the body changes the shape (more channels or a
/// stride), pass a projection shortcut, e.g. from <see cref="Projection"/> (a 1×1 convolution, as the paper's option B).
/// Children are named <c>body</c> and <c>shortcut</c> (the latter only when given).
/// </summary>
public sealed class Residual : Module
{
    /// <summary>Creates the connection.</summary>
    /// <param name="body">The residual branch f.</param>
    /// <param name="shortcut">Maps x to the shape of f(x); null for the identity.</param>
    public Residual(Module body, Module? shortcut = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        Body = RegisterModule("body", body);
        if (shortcut is not null)
        {
            Shortcut = RegisterModule("shortcut", shortcut);
        }
    }

    /// <summary>The residual branch.</summary>
    public Module Body { get; }

    /// <summary>The shortcut branch (null: identity).</summary>
    public Module? Shortcut { get; }

    /// <summary>
    /// The projection shortcut of a convolutional block going from <paramref name="inChannels"/> to
    /// <paramref name="outChannels"/> with <paramref name="stride"/>: a 1×1 convolution without bias followed by
    /// <see cref="BatchNorm2d"/>.
    /// </summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="stride">Stride of the block.</param>
    /// <param name="rng">Generator of the convolution's initial weights.</param>
    public static Module Projection(int inChannels, int outChannels, int stride = 1, Random.Prng? rng = null) =>
        new Sequential(new Conv2d(inChannels, outChannels, 1, stride: stride, bias: false, rng: rng), new BatchNorm2d(outChannels));

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The body and the shortcut give different shapes.</exception>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var fx = Body.Forward(x);
        var sx = Shortcut is null ? x : Shortcut.Forward(x);
        if (!fx.Dims.AsSpan().SequenceEqual(sx.Dims))
        {
            throw new InvalidOperationException(
                $"Residual: the body gives shape {ShapeUtil.Format(fx.Dims)} but the shortcut gives {ShapeUtil.Format(sx.Dims)}; pass a projection shortcut (Residual.Projection) when the body changes the shape.");
        }
        return Ops.Add(fx, sx);
    }

    /// <inheritdoc/>
    public override string ToString() => Shortcut is null
        ? $"Residual(\n  (body): {Body}\n)"
        : $"Residual(\n  (body): {Body}\n  (shortcut): {Shortcut}\n)";
}

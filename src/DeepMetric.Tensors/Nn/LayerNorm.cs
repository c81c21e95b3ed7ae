namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Layer normalisation (Ba, Kiros &amp; Hinton, 2016) over the last dimension, with optional learned
/// per-feature scale <c>weight</c> (ones) and shift <c>bias</c> (zeros).
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="normalizedSize">Length of the last dimension.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="elementwiseAffine">Whether to learn a scale and a shift.</param>
    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(normalizedSize);
        if (!(eps > 0) || !float.IsFinite(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite positive number.");
        }
        NormalizedSize = normalizedSize;
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedSize));
            Bias = RegisterParameter("bias", Tensor.Zeros(normalizedSize));
        }
    }

    /// <summary>Length of the normalised (last) dimension.</summary>
    public int NormalizedSize { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }

    /// <summary>Scale of shape [size], or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift of shape [size], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Dims[^1] != NormalizedSize)
        {
            throw new ArgumentException($"LayerNorm({NormalizedSize}) expects input of shape [*, {NormalizedSize}], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        return Ops.LayerNorm(x, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    public override string ToString() => $"LayerNorm({NormalizedSize}, eps={Eps}, affine={Weight is not null})";
}

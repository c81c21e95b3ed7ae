namespace DeepMetric.Tensors.Nn;

/// <summary>Leaky rectifier (Maas et al., 2013): x for x &gt; 0, slope·x otherwise, elementwise.</summary>
public sealed class LeakyReLU : Module
{
    /// <summary>Creates the activation.</summary>
    /// <param name="negativeSlope">Slope for negative inputs (finite).</param>
    public LeakyReLU(float negativeSlope = 0.01f)
    {
        if (!float.IsFinite(negativeSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "The negative slope must be finite.");
        }
        NegativeSlope = negativeSlope;
    }

    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.LeakyRelu(x, NegativeSlope);

    /// <inheritdoc/>
    public override string ToString() => $"LeakyReLU({NegativeSlope})";
}

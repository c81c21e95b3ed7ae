namespace DeepMetric.Tensors.Nn;

/// <summary>Gaussian error linear unit x·Φ(x) (Hendrycks &amp; Gimpel, 2016), exact erf form, elementwise.</summary>
public sealed class GELU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.Gelu(x);

    /// <inheritdoc/>
    public override string ToString() => "GELU()";
}

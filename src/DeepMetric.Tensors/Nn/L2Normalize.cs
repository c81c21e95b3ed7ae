namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Scales each vector along <see cref="Axis"/> to unit Euclidean length, x / max(‖x‖₂, eps), the usual last
/// layer of a metric-learning embedder; the gradient stays finite at x = 0.
/// </summary>
public sealed class L2Normalize : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="axis">Dimension to normalise (negative counts from the end).</param>
    /// <param name="eps">Lower bound on the norm (finite, &gt; 0).</param>
    public L2Normalize(int axis = -1, float eps = 1e-12f)
    {
        if (!(eps > 0) || !float.IsFinite(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite positive number.");
        }
        Axis = axis;
        Eps = eps;
    }

    /// <summary>Dimension that is normalised.</summary>
    public int Axis { get; }

    /// <summary>Lower bound on the norm.</summary>
    public float Eps { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Ops.L2Normalize(x, Axis, Eps);

    /// <inheritdoc/>
    public override string ToString() => $"L2Normalize(axis={Axis})";
}

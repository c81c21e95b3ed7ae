namespace DeepMetric.Analysis;

/// <summary>A fitted principal component analysis: mean, unit principal axes and the variance along each.</summary>
public sealed class PcaResult
{
    private readonly double[] _mean;
    private readonly double[] _components;
    private readonly double[] _variance;

    internal PcaResult(double[] mean, double[] components, double[] variance, double totalVariance)
    {
        _mean = mean;
        _components = components;
        _variance = variance;
        TotalVariance = totalVariance;
    }

    /// <summary>Input dimension D.</summary>
    public int Dimension => _mean.Length;

    /// <summary>Number of components k.</summary>
    public int ComponentCount => _variance.Length;

    /// <summary>Per-feature mean of the fitted data.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>Sum of the variances of all D features (the trace of the covariance).</summary>
    public double TotalVariance { get; }

    /// <summary>Sample variance (divisor n − 1) along each component, descending.</summary>
    public IReadOnlyList<double> ExplainedVariance => _variance;

    /// <summary>Each component's share of <see cref="TotalVariance"/> (0 when the total is 0).</summary>
    public IReadOnlyList<double> ExplainedVarianceRatio => [.. _variance.Select(v => TotalVariance > 0 ? v / TotalVariance : 0)];

    /// <summary>Component <paramref name="index"/> as a unit vector of length D (largest-magnitude entry positive).</summary>
    public double[] Component(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ComponentCount);
        return _components.AsSpan(index * Dimension, Dimension).ToArray();
    }

    /// <summary>Projects <paramref name="rows"/> row-major D-dimensional points onto the components: rows×k floats.</summary>
    /// <exception cref="ArgumentException">Wrong data length.</exception>
    public float[] Transform(ReadOnlySpan<float> data, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int d = Dimension, k = ComponentCount;
        if (data.Length != (long)rows * d)
        {
            throw new ArgumentException($"Expected {rows}×{d} = {(long)rows * d} values, got {data.Length}.", nameof(data));
        }
        float[] result = GC.AllocateUninitializedArray<float>(rows * k);
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> x = data.Slice(i * d, d);
            for (int c = 0; c < k; c++)
            {
                ReadOnlySpan<double> axis = _components.AsSpan(c * d, d);
                double sum = 0;
                for (int j = 0; j < d; j++)
                {
                    sum += (x[j] - _mean[j]) * axis[j];
                }
                result[(i * k) + c] = (float)sum;
            }
        }
        return result;
    }
}

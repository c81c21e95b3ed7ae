using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>A resize, crop or flip: it changes where the output samples the source (<see cref="SampleGrid"/>), not pixel values.</summary>
public interface IGeometricTransform
{
    /// <summary>Changes <paramref name="grid"/>; random choices are drawn from <paramref name="random"/>.</summary>
    void Apply(ref SampleGrid grid, Prng random);
}

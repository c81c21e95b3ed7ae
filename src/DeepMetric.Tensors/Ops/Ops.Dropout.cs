using System.Numerics.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>Inverted dropout: in training zeroes each element with probability p and scales the rest by 1/(1−p).</summary>
    /// <remarks>
    /// Dropout (Srivastava et al., 2014). With <paramref name="training"/> false or p = 0 the input itself is returned.
    /// The mask draws one <see cref="Prng.NextFloat"/> per element in row-major order, so a seed fixes it.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">p is not in [0, 1).</exception>
    public static Tensor Dropout(Tensor x, float p, bool training, Prng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1).");
        }
        if (!training || p == 0f)
        {
            return x;
        }
        float keepScale = 1f / (1f - p);
        var mask = TensorBuffers.Uninitialized(x.Size);
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = rng.NextFloat() < p ? 0f : keepScale;
        }
        var y = TensorBuffers.Uninitialized(x.Size);
        TensorPrimitives.Multiply(x.ReadOnlySpan, mask, y);
        int[] dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "Dropout", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(x.Size);
            TensorPrimitives.Multiply(g.ReadOnlySpan, mask, dx);
            x.AccumulateGrad(new Tensor(dx, dims));
        });
    }
}

using System.Numerics.Tensors;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Optim;

/// <summary>
/// SGD's momentum update in one pass (split over the worker ranges for large parameters) gives the bits of the
/// three separate passes it replaced (b ← μ·b, b ← (1 − τ)·g + b, p ← −η·b + p, each rounded on its own), run here as
/// those passes.
/// </summary>
public sealed class SgdMomentumPassTests
{
    private static float[] Train(int size, float lr, float momentum, float dampening, float weightDecay)
    {
        var p = Tensor.Rand(new Prng(1), [size], -1f, 1f);
        p.RequiresGrad = true;
        var opt = new Sgd([p], lr, momentum, dampening, weightDecay: weightDecay);
        var rng = new Prng(2);
        for (int step = 0; step < 4; step++)
        {
            p.Grad = Tensor.Rand(rng, [size], -1f, 1f);
            opt.Step();
        }
        return p.ToArray();
    }

    private static float[] Separate(int size, float lr, float momentum, float dampening, float weightDecay)
    {
        var p = Tensor.Rand(new Prng(1), [size], -1f, 1f).ToArray();
        var rng = new Prng(2);
        float[]? b = null;
        var d = new float[size];
        for (int step = 0; step < 4; step++)
        {
            var g = Tensor.Rand(rng, [size], -1f, 1f).ToArray();
            TensorPrimitives.MultiplyAdd(p, weightDecay, g, d);
            ReadOnlySpan<float> grad = weightDecay != 0f ? d : g;
            if (b is null)
            {
                b = grad.ToArray();
            }
            else
            {
                // The passes the optimizer made before.
                TensorPrimitives.Multiply(b, momentum, b);
                TensorPrimitives.MultiplyAdd(grad, 1f - dampening, b, b);
            }
            TensorPrimitives.MultiplyAdd(b, -lr, p, p);
        }
        return p;
    }

    [Theory]
    [InlineData(7, 0.1f, 0.9f, 0f, 0f)]
    [InlineData(100_003, 0.01f, 0.9f, 0f, 0f)]
    [InlineData(70_001, 0.05f, 0.5f, 0.25f, 0.01f)]
    public void Matches_the_separate_roundings_and_any_split(int size, float lr, float momentum, float dampening, float weightDecay)
    {
        var expected = Separate(size, lr, momentum, dampening, weightDecay);
        var got = Train(size, lr, momentum, dampening, weightDecay);
        Assert.Equal(expected, got);
        Assert.Equal(got, OneWorkerRange.Run(() => Train(size, lr, momentum, dampening, weightDecay)));
    }
}

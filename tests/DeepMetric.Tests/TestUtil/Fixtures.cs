using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.TestUtil;

internal static class Fixtures
{
    public static Tensor RandomEmbeddings(ulong seed, int n, int d, bool requiresGrad = true)
    {
        var t = Tensor.RandN(new Prng(seed), [n, d]);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    public static void AssertFinite(Tensor? grad)
    {
        Assert.NotNull(grad);
        foreach (float v in grad!.ToArray())
        {
            Assert.True(float.IsFinite(v), $"gradient has a non-finite value {v}");
        }
    }

    public static void AssertAllZero(Tensor? grad)
    {
        Assert.NotNull(grad);
        foreach (float v in grad!.ToArray())
        {
            Assert.Equal(0f, v);
        }
    }
}

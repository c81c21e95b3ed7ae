using DeepMetric.Data;
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

    /// <summary>
    /// Four classes of 4×4 "images": a class centre plus strong noise (σ = 1.5), so the raw inputs overlap. The centres
    /// are the same for every set; the noise depends on <paramref name="seed"/>. Items cycle through the classes.
    /// </summary>
    public static ImageDataset ClusteredImages(int perClass, ulong seed)
    {
        const int classes = 4, size = 16;
        var centreRng = new Prng(100);
        var rng = new Prng(seed);
        var centres = new float[classes * size];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)centreRng.NextNormal();
        }
        var pixels = new float[classes * perClass * size];
        var labels = new int[classes * perClass];
        for (int n = 0; n < labels.Length; n++)
        {
            int c = n % classes;
            labels[n] = c;
            for (int t = 0; t < size; t++)
            {
                pixels[(n * size) + t] = centres[(c * size) + t] + (1.5f * (float)rng.NextNormal());
            }
        }
        return new ImageDataset(pixels, labels, 1, 4, 4, ["a", "b", "c", "d"]);
    }
}

using DeepMetric.Data;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.TestUtil;

/// <summary>Small 4×4 grey images of four classes for report tests: a class-dependent level and bright pixel plus noise.</summary>
internal static class FourClassImages
{
    public static ImageDataset Create(int n, ulong seed, float noise)
    {
        var rng = new Prng(seed);
        var pixels = new float[n * 16];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 4;
            for (int t = 0; t < 16; t++)
            {
                pixels[(i * 16) + t] = Math.Clamp((0.2f * labels[i]) + (noise * (float)rng.NextNormal()) + (t == labels[i] ? 0.5f : 0f), 0f, 1f);
            }
        }
        return new ImageDataset(pixels, labels, 1, 4, 4, ["zero", "one", "two", "three"]);
    }
}

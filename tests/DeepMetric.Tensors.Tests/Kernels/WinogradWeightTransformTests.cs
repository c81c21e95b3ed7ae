using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// The Winograd weight transform U = G g Gᵀ: the SIMD path (eight kernels at a time, split over the worker ranges for
/// large layers) against G g Gᵀ in double precision and bit for bit against the scalar code with one range.
/// </summary>
public sealed class WinogradWeightTransformTests
{
    [Theory]
    [InlineData(1, 1)]      // scalar tail only
    [InlineData(3, 5)]      // 15 pairs: one vector of eight and a tail
    [InlineData(70, 61)]    // 4,270 pairs: over the parallel threshold, odd split
    [InlineData(64, 128)]
    public void Simd_and_parallel_match_the_scalar_code_and_the_definition(int o, int c)
    {
        var w = Tensor.Rand(new Prng(9), [o, c, 3, 3], -1f, 1f).ToArray();
        int oc = o * c;
        var fast = new float[Winograd.Xi * oc];
        var scalar = new float[Winograd.Xi * oc];
        Winograd.TransformWeights(w, o, c, fast);
        bool parallel = KernelThreads.Parallel;
        Winograd.ForceScalar = true;
        KernelThreads.Parallel = false;
        try
        {
            Winograd.TransformWeights(w, o, c, scalar);
        }
        finally
        {
            Winograd.ForceScalar = false;
            KernelThreads.Parallel = parallel;
        }
        Assert.Equal(scalar, fast);

        double[,] gm = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
        var expected = new double[Winograd.Xi * oc];
        for (int k = 0; k < oc; k++)
        {
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    double s = 0;
                    for (int a = 0; a < 3; a++)
                    {
                        for (int b = 0; b < 3; b++)
                        {
                            s += gm[i, a] * w[(k * 9) + (a * 3) + b] * gm[j, b];
                        }
                    }
                    expected[(((i * 4) + j) * oc) + k] = s;
                }
            }
        }
        Assertions.AllClose(expected, fast, 1e-6, 1e-6);
    }
}

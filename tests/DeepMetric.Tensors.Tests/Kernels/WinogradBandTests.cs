using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Kernels;

/// <summary>
/// The forward Winograd convolution run band by band of tile rows within each image (the path that keeps a large
/// image's transforms in L2): against a double-precision loop with the fused epilogue (scale, shift, residual, ReLU),
/// against whole images, on the SIMD and the scalar transforms, and the same bits with one worker range as with two.
/// </summary>
public sealed class WinogradBandTests
{
    // n, c, h, w, o, tile rows per band
    public static TheoryData<int, int, int, int, int, int> Cases => new()
    {
        { 1, 16, 13, 13, 9, 3 },   // batch 1 (channels split over ranges), ragged last band (7 tile rows: 3, 3, 1)
        { 9, 5, 12, 17, 6, 2 },    // 9 images split over ranges, odd width, 6 tile rows in 3 bands
        { 3, 8, 10, 10, 16, 5 },   // one band holds the whole image
        { 2, 4, 7, 9, 3, 1 },      // single-row bands, odd height: the last band has one output row
        { 1, 3, 3, 3, 2, 1 },      // the smallest image: one tile
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Banded_forward_matches_the_definition_whole_images_and_one_range(int n, int c, int h, int w, int o, int rows)
    {
        var rng = new Prng(77);
        var x = Tensor.Rand(rng, [n, c, h, w], -1f, 1f);
        var wt = Tensor.Rand(rng, [o, c, 3, 3], -0.5f, 0.5f);
        var b = Tensor.Rand(rng, [o], -0.2f, 0.2f);
        var scale = Tensor.Rand(rng, [o], 0.5f, 1.5f).ToArray();
        var shift = Tensor.Rand(rng, [o], -0.5f, 0.5f).ToArray();
        var residual = Tensor.Rand(rng, [n, o, h, w], -1f, 1f);
        var expected = ConvReference.Forward(x.ToArray(), n, c, h, w, wt.ToArray(), b.ToArray(), o, 3, 1, (1, 1, 1, 1));
        var r = residual.ToArray();
        var fusedExpected = new double[expected.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            int oc = i / (h * w) % o;
            fusedExpected[i] = Math.Max(0, (expected[i] * scale[oc]) + shift[oc] + r[i]);
        }
        var epilogue = new ConvEpilogue(scale, shift, residual, relu: true);

        foreach (bool scalar in new[] { false, true })
        {
            var plain = Run(() => Ops.Conv2d(x, wt, b, 1, 1), rows, scalar, parallel: !scalar);
            var fused = Run(() => Ops.Conv2dInference(x, wt, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, epilogue), rows, scalar, parallel: !scalar);
            Assertions.AllClose(expected, plain, 1e-4, 1e-4);
            Assertions.AllClose(fusedExpected, fused, 1e-4, 1e-4);
            var whole = Run(() => Ops.Conv2d(x, wt, b, 1, 1), 0, scalar, parallel: !scalar);
            Assertions.AllClose(whole, plain, 1e-5, 1e-5);
            if (!scalar)
            {
                Assert.Equal(plain, Run(() => Ops.Conv2d(x, wt, b, 1, 1), rows, false, parallel: false));
                Assert.Equal(fused, Run(() => Ops.Conv2dInference(x, wt, b, (1, 1), (1, 1, 1, 1), (1, 1), 1, epilogue), rows, false, parallel: false));
            }
        }
    }

    private static float[] Run(Func<Tensor> conv, int rows, bool scalar, bool parallel) =>
        WinogradSwitches.Run(rows, scalar, parallel, () =>
        {
            using (Tensor.NoGrad())
            {
                return conv().ToArray();
            }
        });
}

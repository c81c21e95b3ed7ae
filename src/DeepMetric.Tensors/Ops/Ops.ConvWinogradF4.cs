using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    // F(4×4, 3×3) needs at least this C·O: below it the 36 GEMMs are too thin for the transforms' cost.
    private const int WinogradF4MinChannelProduct = 64 * 64;

    // And at least this many tiles per forward (batch × tiles per image), with the images split over the worker ranges:
    // U [36, O, C] is 2.25× F(2×2, 3×3)'s and is read once per chunk of images, so small batches spend their time reading
    // it, and a batch split by output channels transforms every image once per range. Measured (--quick wino43, Xeon,
    // 2 vCPUs, loaded; CPU ms F(4,3) / the path otherwise taken): batch 1 64@56 1.4 / 1.1, 128@28 1.2 / 1.3,
    // 256@14 1.8 / 1.5, 512@7 5.5 / 2.5; batch 4 64@56 5.2 / 4.5, 512@7 13.9 / 10.1; batch 8 64@56 6.3 / 7.0,
    // 128@28 6.2 / 7.9, 256@14 6.4 / 8.2, 512@7 (32 tiles) 13.9 / 12.5; batch 16 512@7 (64 tiles) 20.2 / 27.6;
    // batch 32 64@56 35 / 38, 128@28 28.5 / 35, 256@14 32.5 / 37, 512@7 38 / 58.5. 64 tiles would also take 512@7 at
    // batch 16, but then a batch of 9 small 64-channel images would differ from the same images in batches of 1 or 3 by
    // more than ConvEpilogueTests allows, so the bar stays at 128 for now.
    private const int WinogradF4MinTiles = 128;

    // Tiles (GEMM columns) a chunk of images should have at least; see WinogradChunk.
    private const int WinogradF4MinColumns = 192;

    /// <summary>
    /// True when the forward pass of this (not pooled) 3×3, stride-1 convolution uses F(4×4, 3×3) rather than
    /// F(2×2, 3×3) or im2col. Decided by the shape alone (C·O, output size, batch), never by timing, so the bits depend
    /// only on the shapes. DEEPMETRIC_WINOGRAD=f2 (<see cref="WinogradF4.Enabled"/>) and the test switches turn it off.
    /// </summary>
    private static bool UseWinogradF4(in ConvGeometry geo, int o, int n) =>
        WinogradF4.Enabled && !WinogradF4.ForceF2 && !Winograd.ForceIm2Col && WinogradF4.Applies(geo)
        && (WinogradF4.ForceF4 || (!Winograd.ForceWinograd && geo.C * o >= WinogradF4MinChannelProduct
            && Math.Min(geo.Ho, geo.Wo) >= 7 && !ByChannels(n, o)
            && (long)n * WinogradF4.TilesH(geo) * WinogradF4.TilesW(geo) >= WinogradF4MinTiles));

    // The F(2×2, 3×3) and F(4×4, 3×3) forward paths share their chunk, band and channel-split loops: these pick the transform.
    private static int WinoXi(bool f4) => f4 ? WinogradF4.Xi : Winograd.Xi;

    private static int WinoTilesH(in ConvGeometry geo, bool f4) => f4 ? WinogradF4.TilesH(geo) : Winograd.TilesH(geo);

    private static int WinoTilesW(in ConvGeometry geo, bool f4) => f4 ? WinogradF4.TilesW(geo) : Winograd.TilesW(geo);

    private static int WinoPlaneScratch(in ConvGeometry geo, bool f4) => f4 ? WinogradF4.PlaneScratch(geo) : Winograd.PlaneScratch(geo);

    /// <summary>Output rows per tile row.</summary>
    private static int WinoTileSide(bool f4) => f4 ? 4 : 2;

    private static void WinoTransformInput(bool f4, ReadOnlySpan<float> x, int count, in ConvGeometry geo, Span<float> v, Span<float> plane, int ti0 = 0, int ti1 = -1)
    {
        if (f4)
        {
            WinogradF4.TransformInput(x, count, geo, v, plane, ti0, ti1);
        }
        else
        {
            Winograd.TransformInput(x, count, geo, v, plane, ti0, ti1);
        }
    }

    private static void WinoTransformOutput(bool f4, ReadOnlySpan<float> m, int count, int o, in ConvGeometry geo, ReadOnlySpan<float> bias, Span<float> y,
        int ti0 = 0, int ti1 = -1)
    {
        if (f4)
        {
            WinogradF4.TransformOutput(m, count, o, geo, bias, y, ti0, ti1);
        }
        else
        {
            Winograd.TransformOutput(m, count, o, geo, bias, y, ti0, ti1);
        }
    }

    /// <summary>
    /// The backward pass a forward by F(4×4, 3×3) records: F(4×4, 3×3) where its own shape rule holds, else the one the
    /// F(2×2, 3×3) or im2col forward of this shape would have recorded (the gradient of a convolution does not depend on
    /// how its forward was computed).
    /// </summary>
    private static Action<Tensor> BackwardAfterF4Forward(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo)
    {
        int n = x.Dims[0], o = weight.Dims[0];
        if (UseWinogradF4Backward(geo, o, n))
        {
            return g => Conv2dWinogradF4Backward(g, x, weight, bias, geo);
        }
        if (UseWinograd(geo, o))
        {
            int chunk = WinogradChunk(n, geo.C, o, Winograd.TilesH(geo) * Winograd.TilesW(geo), false);
            return g => Conv2dWinogradBackward(g, x, weight, bias, geo, chunk, null);
        }
        int im2colChunk = ConvChunk(n, geo.K, geo.P);
        return g => Conv2dBackward(g, x, weight, bias, geo, im2colChunk);
    }
}

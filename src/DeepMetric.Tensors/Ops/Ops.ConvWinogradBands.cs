using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    // A band's 16 GEMMs need at least this many columns (tiles) to stay near SGEMM speed: measured on ResNet-18's
    // 3×3 layers at batch 32 (Xeon, 2 MiB L2), 64 channels at 56×56 took 43–47 ms forward in bands of 7 tile rows
    // (196 tiles), 44–50 in bands of 3–5 rows, 51 in two bands and 64 by whole images; 128 channels at 28×28 took 38 ms
    // by whole images (196 tiles, over budget) against 43–48 ms in bands of 70–98 tiles. The backward pass (its weight-
    // gradient products take the tiles as their depth) uses the same bands: 8 images of the 64-channel layer on one
    // core took 21–22 ms CPU in bands of 2 or 7 tile rows, 24–26 in bands of 4 and 24–25 in two bands of 14.
    private const int WinogradMinBandTiles = 192;

    // The same floor for F(4×4, 3×3)'s 36 GEMMs.
    private const int WinogradF4MinBandTiles = 192;

    /// <summary>
    /// Tile rows per band, forward and backward, when one image's transformed input and product ([16, C, T] +
    /// [16, O, T]) exceed the Winograd cache budget (ResNet's 64-channel layers at 56×56: 6.4 MB an image against a
    /// 2 MiB L2) and bands of at least
    /// <see cref="WinogradMinBandTiles"/> tiles still split the image, else 0 (whole images). Depends only on the
    /// shapes and the cache size, so the bands, like the chunks, are the same for any number of worker ranges.
    /// </summary>
    private static int WinogradBandRows(in ConvGeometry geo, int c, int o, bool f4 = false)
    {
        int th = WinoTilesH(geo, f4), tw = WinoTilesW(geo, f4);
        if (Winograd.ForceBandRows > 0)
        {
            return Math.Min(Winograd.ForceBandRows, th);
        }
        long perRow = (long)WinoXi(f4) * (c + o) * tw;
        if (perRow * th <= s_winogradBudget)
        {
            return 0;
        }
        int minTiles = f4 ? WinogradF4MinBandTiles : WinogradMinBandTiles;
        int rows = (int)Math.Max(s_winogradBudget / perRow, (minTiles + tw - 1) / tw);
        return rows >= th ? 0 : EvenChunk(th, rows);
    }

    /// <summary>
    /// Forward Winograd convolution band by band within each image: every band of tile rows is transformed, multiplied
    /// (16 GEMMs of T = band tiles columns) and transformed back, with the epilogue on its output rows, while its V and M
    /// are in L2. Each output tile's sums are those of the whole-image path (the GEMMs' columns are independent).
    /// A batch of 8 or more is split over the worker ranges by images; a small one (<paramref name="smallBatch"/>) by its
    /// (image, band) pairs, every range all output channels: splitting the channels instead made each range transform
    /// every band's input itself and run GEMMs of half the rows of U. Each band is computed alike in both modes, so
    /// the bits do not depend on the batch size or the number of ranges.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] WinogradBanded(Tensor x, Tensor? bias, ConvGeometry geo, int o, float[] u, int bandRows, bool smallBatch, ConvEpilogue? epilogue,
        bool f4)
    {
        int n = x.Dims[0], th = WinoTilesH(geo, f4), bands = (th + bandRows - 1) / bandRows;
        var y = TensorBuffers.Uninitialized(n * o * geo.P);
        if (!smallBatch)
        {
            KernelThreads.For(n, (_, start, end) => WinogradBands(x, bias, geo, o, u, bandRows, start * bands, end * bands, y, epilogue, f4));
            return y;
        }
        int items = n * bands;
        if (KernelThreads.Ranges(items) > 1)
        {
            KernelThreads.For(items, (_, start, end) => WinogradBands(x, bias, geo, o, u, bandRows, start, end, y, epilogue, f4));
        }
        else
        {
            // Too few pairs for KernelThreads.For's ranges (ResNet's 64-channel layer at batch 1: 4 bands): two halves.
            int half = items / 2;
            KernelThreads.Pair(() => WinogradBands(x, bias, geo, o, u, bandRows, 0, half, y, epilogue, f4),
                () => WinogradBands(x, bias, geo, o, u, bandRows, half, items, y, epilogue, f4));
        }
        return y;
    }

    /// <summary>Bands [<paramref name="item0"/>, <paramref name="item1"/>) of the batch (item = image · bands + band), all output channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WinogradBands(Tensor x, Tensor? bias, in ConvGeometry geo, int o, float[] u, int bandRows, int item0, int item1,
        float[] y, ConvEpilogue? epilogue, bool f4)
    {
        if (item1 <= item0)
        {
            return;
        }
        int c = geo.C, p = geo.P, th = WinoTilesH(geo, f4), tw = WinoTilesW(geo, f4), wo = geo.Wo, ho = geo.Ho;
        int bands = (th + bandRows - 1) / bandRows, xiCount = WinoXi(f4), side = WinoTileSide(f4);
        var plane = Scratch.Get(Scratch.WinogradPlane, WinoPlaneScratch(geo, f4));
        var v = Scratch.Get(Scratch.WinogradV, xiCount * c * bandRows * tw);
        var m = Scratch.Get(Scratch.WinogradM, xiCount * o * bandRows * tw);
        var xs = x.ReadOnlySpan;
        var bs = bias is null ? default : bias.ReadOnlySpan;
        for (int item = item0; item < item1; item++)
        {
            int i = item / bands, ti0 = (item % bands) * bandRows;
            var image = xs.Slice(i * c * geo.PlaneIn, c * geo.PlaneIn);
            var yImage = y.AsSpan(i * o * p, o * p);
            int ti1 = Math.Min(th, ti0 + bandRows), t = (ti1 - ti0) * tw;
            WinoTransformInput(f4, image, 1, geo, v, plane, ti0, ti1);
            for (int xi = 0; xi < xiCount; xi++)
            {
                Gemm.Multiply(false, false, o, t, c, 1f, u.AsSpan(xi * o * c, o * c), c, v.AsSpan(xi * c * t, c * t), t,
                    0f, m.AsSpan(xi * o * t, o * t), t);
            }
            WinoTransformOutput(f4, m, 1, o, geo, bs, yImage, ti0, ti1);
            int r0 = side * ti0, r1 = Math.Min(ho, side * ti1);
            epilogue?.ApplyRows(y, i, o, 0, o, p, r0 * wo, (r1 - r0) * wo);
        }
    }
}

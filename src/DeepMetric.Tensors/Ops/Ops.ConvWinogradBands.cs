using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    // A band's 16 GEMMs need at least this many columns (tiles) to stay near SGEMM speed: measured on ResNet-18's
    // 3×3 layers at batch 32 (Xeon, 2 MiB L2), 64 channels at 56×56 took 43–47 ms forward in bands of 7 tile rows
    // (196 tiles), 44–50 in bands of 3–5 rows, 51 in two bands and 64 by whole images; 128 channels at 28×28 took 38 ms
    // by whole images (196 tiles, over budget) against 43–48 ms in bands of 70–98 tiles.
    private const int WinogradMinBandTiles = 192;

    /// <summary>
    /// Tile rows per band when one image's transformed input and product ([16, C, T] + [16, O, T]) exceed the Winograd
    /// cache budget (ResNet's 64-channel layers at 56×56: 6.4 MB an image against a 2 MiB L2) and bands of at least
    /// <see cref="WinogradMinBandTiles"/> tiles still split the image, else 0 (whole images). Depends only on the
    /// shapes and the cache size, so the bands, like the chunks, are the same for any number of worker ranges.
    /// </summary>
    private static int WinogradBandRows(in ConvGeometry geo, int c, int o)
    {
        int th = Winograd.TilesH(geo), tw = Winograd.TilesW(geo);
        if (Winograd.ForceBandRows > 0)
        {
            return Math.Min(Winograd.ForceBandRows, th);
        }
        long perRow = (long)Winograd.Xi * (c + o) * tw;
        if (perRow * th <= s_winogradBudget)
        {
            return 0;
        }
        int rows = (int)Math.Max(s_winogradBudget / perRow, (WinogradMinBandTiles + tw - 1) / tw);
        return rows >= th ? 0 : EvenChunk(th, rows);
    }

    /// <summary>
    /// Forward Winograd convolution band by band within each image: every band of tile rows is transformed, multiplied
    /// (16 GEMMs of T = band tiles columns) and transformed back, with the epilogue on its output rows, while its V and M
    /// are in L2. Each output tile's sums are those of the whole-image path (the GEMMs' columns are independent).
    /// With <paramref name="byChannels"/> (a small batch) the output channels are split over the worker ranges, else
    /// the images.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] WinogradBanded(Tensor x, Tensor? bias, ConvGeometry geo, int o, float[] u, int bandRows, bool byChannels, ConvEpilogue? epilogue)
    {
        int n = x.Dims[0], c = geo.C, p = geo.P, th = Winograd.TilesH(geo), tw = Winograd.TilesW(geo), wo = geo.Wo, ho = geo.Ho;
        var y = TensorBuffers.Uninitialized(n * o * p);
        KernelThreads.For(byChannels ? o : n, (_, start, end) =>
        {
            int i0 = byChannels ? 0 : start, i1 = byChannels ? n : end;
            int o0 = byChannels ? start : 0, o1 = byChannels ? end : o, oc = o1 - o0;
            var plane = Scratch.Get(Scratch.WinogradPlane, Winograd.PlaneScratch(geo));
            var v = Scratch.Get(Scratch.WinogradV, Winograd.Xi * c * bandRows * tw);
            var m = Scratch.Get(Scratch.WinogradM, Winograd.Xi * oc * bandRows * tw);
            var xs = x.ReadOnlySpan;
            var bs = bias is null ? default : bias.ReadOnlySpan.Slice(o0, oc);
            for (int i = i0; i < i1; i++)
            {
                var image = xs.Slice(i * c * geo.PlaneIn, c * geo.PlaneIn);
                var yImage = y.AsSpan(((i * o) + o0) * p, oc * p);
                for (int ti0 = 0; ti0 < th; ti0 += bandRows)
                {
                    int ti1 = Math.Min(th, ti0 + bandRows), t = (ti1 - ti0) * tw;
                    Winograd.TransformInput(image, 1, geo, v, plane, ti0, ti1);
                    for (int xi = 0; xi < Winograd.Xi; xi++)
                    {
                        Gemm.Multiply(false, false, oc, t, c, 1f, u.AsSpan((xi * o * c) + (o0 * c), oc * c), c, v.AsSpan(xi * c * t, c * t), t,
                            0f, m.AsSpan(xi * oc * t, oc * t), t);
                    }
                    Winograd.TransformOutput(m, 1, oc, geo, bs, yImage, ti0, ti1);
                    int r0 = 2 * ti0, r1 = Math.Min(ho, 2 * ti1);
                    epilogue?.ApplyRows(y, i, o, o0, o1, p, r0 * wo, (r1 - r0) * wo);
                }
            }
        });
        return y;
    }
}

namespace DeepMetric.Tensors;

/// <summary>
/// Vectorised versions of the <see cref="WinogradF4"/> tile transforms (the same float operations, lane by lane).
/// Tile tj reads padded columns 4tj … 4tj + 5, so each image plane is split into its four column phases
/// (P_q[k] = column 4k + q): the six columns of tiles k … k + 15 are then the unit-stride vectors
/// P0[k], P1[k], P2[k], P3[k], P0[k + 1], P1[k + 1].
/// </summary>
internal static class WinogradF4Avx
{
    /// <summary>Not yet: every transform takes the scalar path.</summary>
    public static bool IsSupported => false;

    /// <summary>Floats per row of one column phase: the tile columns plus one, plus a vector of slack.</summary>
    private static int SplitStride(int tw) => ((tw + 16) & ~15) + 16;

    /// <summary>Scratch floats the vectorised <see cref="WinogradF4.TransformInput"/> needs: four column phases of the padded plane.</summary>
    public static int PlaneScratch(in ConvGeometry g) => 4 * WinogradF4.PlaneH(g) * SplitStride(WinogradF4.TilesW(g));

    public static int TransformWeights(ReadOnlySpan<float> w, int oc, Span<float> u, int k0, int k1) => k0;

    public static void TransformInput(ReadOnlySpan<float> x, int count, in ConvGeometry g, Span<float> v, Span<float> plane, int ti0, int ti1) =>
        throw new PlatformNotSupportedException();

    public static void TransformOutput(ReadOnlySpan<float> m, int count, int o, in ConvGeometry g, ReadOnlySpan<float> bias, Span<float> y, int ti0, int ti1) =>
        throw new PlatformNotSupportedException();
}

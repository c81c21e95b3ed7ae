namespace DeepMetric.Tensors;

/// <summary>Shape bookkeeping of one 2-D convolution or pooling window sweep over a zero-padded image.</summary>
internal readonly record struct ConvGeometry(int C, int H, int W, int Kh, int Kw, int Stride, int Padding, int Dilation)
{
    public int Hp => H + (2 * Padding);

    public int Wp => W + (2 * Padding);

    /// <summary>Extent of the dilated kernel.</summary>
    public int EffKh => (Dilation * (Kh - 1)) + 1;

    public int EffKw => (Dilation * (Kw - 1)) + 1;

    public int Ho => ((Hp - EffKh) / Stride) + 1;

    public int Wo => ((Wp - EffKw) / Stride) + 1;

    /// <summary>Rows of the column matrix: C·kh·kw.</summary>
    public int K => C * Kh * Kw;

    /// <summary>Output positions per image.</summary>
    public int P => Ho * Wo;

    public int PlaneIn => H * W;

    public int PlanePadded => Hp * Wp;
}

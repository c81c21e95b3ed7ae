namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// True when <see cref="Conv2dMaxPool2x2"/> computes MaxPool2d(Conv2d(x, weight, …, stride, padding, dilation), 2)
    /// in one op: a 3×3, stride-1, undilated convolution with an even output height and width, on the direct or the
    /// Winograd path.
    /// </summary>
    internal static bool CanFuseConvMaxPool(Tensor x, Tensor weight, int stride, int padding, int dilation)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 4 || weight.Rank != 4 || weight.Dims[1] != x.Dims[1] || stride != 1 || dilation != 1 || padding < 0)
        {
            return false;
        }
        var geo = new ConvGeometry(x.Dims[1], x.Dims[2], x.Dims[3], weight.Dims[2], weight.Dims[3], 1, padding, 1);
        if (geo.Kh != 3 || geo.Kw != 3 || geo.Ho < 2 || geo.Wo < 2 || geo.Ho % 2 != 0 || geo.Wo % 2 != 0)
        {
            return false;
        }
        return UseDirect(geo) || UseWinograd(geo, weight.Dims[0]);
    }

    /// <summary>
    /// MaxPool2d(Conv2d(x, weight, bias, padding: <paramref name="padding"/>), 2), exactly (same values, same
    /// gradients, same tie and NaN rules), without the full-resolution convolution output ever reaching memory: each
    /// chunk of images is convolved into a cache-resident buffer and pooled at once, keeping only the pooled values and
    /// each window's winning position; the backward pass spreads the pooled gradient back chunk by chunk. Only for
    /// inputs where <see cref="CanFuseConvMaxPool"/> holds (its caller, <see cref="Nn.Sequential"/>, checks). With
    /// <paramref name="relu"/>, Relu of that (max is monotone, so it equals MaxPool2d(Relu(Conv2d(…))) too), applied
    /// while the pooled values are in cache, its gradient mask folded into the pool's winner codes.
    /// </summary>
    internal static Tensor Conv2dMaxPool2x2(Tensor x, Tensor weight, Tensor? bias, int padding, bool relu = false)
    {
        if (!CanFuseConvMaxPool(x, weight, 1, padding, 1))
        {
            throw new ArgumentException($"Conv2dMaxPool2x2: a 3×3 stride-1 convolution with an even output size is needed, got input {ShapeUtil.Format(x.Dims)} and weight {ShapeUtil.Format(weight.Dims)}.", nameof(x));
        }
        int o = weight.Dims[0];
        if (bias is not null && (bias.Rank != 1 || bias.Dims[0] != o))
        {
            throw new ArgumentException($"Conv2dMaxPool2x2: bias must be [{o}], got {ShapeUtil.Format(bias.Dims)}.", nameof(bias));
        }
        var geo = new ConvGeometry(x.Dims[1], x.Dims[2], x.Dims[3], 3, 3, 1, padding, 1);
        if (UseDirect(geo))
        {
            return Conv2dDirect(x, weight, bias, geo, pool: true, relu: relu);
        }
        return Conv2dWinograd(x, weight, bias, geo, pool: true, relu: relu);
    }

    /// <summary>
    /// The pooled gradient with the windows whose gradient a fused ReLU blocked (winner code ≥ 4) set to 0: what
    /// reaches the convolution's outputs, for the bias gradient taken without spreading it back.
    /// </summary>
    private static float[] PassedPooledGradient(ReadOnlySpan<float> g, PoolWinners winners)
    {
        var codes = winners.All;
        var passed = TensorBuffers.Uninitialized(g.Length);
        for (int i = 0; i < g.Length; i++)
        {
            passed[i] = codes[i] < DirectConvPool.ReluBlocked ? g[i] : 0f;
        }
        return passed;
    }

    /// <summary>
    /// yr[ow] = the maximum of row[ow·s − pad + j], j &lt; k, over the positions inside the row, each window's values
    /// taken left to right by MathF.Max (NaN wins): the horizontal pass of an inference max-pool (ResNet's stem pool).
    /// Windows inside the row come from k − 1 vectorised passes over the whole row, then every s-th is picked; the
    /// clipped ones at the edges run the scalar loop. Same operations in the same order, so the same bits.
    /// </summary>
    internal static void WindowMaxRow(ReadOnlySpan<float> row, int k, int s, int pad, Span<float> yr, Span<float> scratch)
    {
        int w = row.Length, wo = yr.Length;
        // Interior outputs: 0 ≤ ow·s − pad and ow·s − pad + k ≤ w.
        int owLo = Math.Min(wo, (pad + s - 1) / s);
        int owHi = w - k + pad < 0 ? owLo : Math.Clamp(((w - k + pad) / s) + 1, owLo, wo);
        if (k > 1 && owHi - owLo >= 8)
        {
            int len = w - k + 1;
            var m = scratch[..len];
            System.Numerics.Tensors.TensorPrimitives.Max(row[..len], row.Slice(1, len), m);
            for (int j = 2; j < k; j++)
            {
                System.Numerics.Tensors.TensorPrimitives.Max(m, row.Slice(j, len), m);
            }
            for (int ow = owLo; ow < owHi; ow++)
            {
                yr[ow] = m[(ow * s) - pad];
            }
        }
        else
        {
            owHi = owLo;
        }
        for (int ow = 0; ow < wo; ow++)
        {
            if (ow == owLo)
            {
                ow = owHi;
                if (ow >= wo)
                {
                    break;
                }
            }
            int w0 = Math.Max((ow * s) - pad, 0), w1 = Math.Min((ow * s) - pad + k, w);
            float best = row[w0];
            for (int iw = w0 + 1; iw < w1; iw++)
            {
                best = Math.Max(best, row[iw]);
            }
            yr[ow] = best;
        }
    }
}

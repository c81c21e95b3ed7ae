using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    private static bool UseDirect(in ConvGeometry geo) =>
        !Winograd.ForceIm2Col && !Winograd.ForceWinograd && DirectConv3x3.Applies(geo);

    /// <summary>
    /// 3×3, stride-1 convolution of a few-channel input by <see cref="DirectConv3x3"/>. With <paramref name="pool"/>
    /// the result is the 2×2 max-pool of the convolution (then ReLU with <paramref name="relu"/>), each image's
    /// convolution pooled while it is still in registers (<see cref="DirectConvPool"/>) or in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor Conv2dDirect(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, bool pool = false, bool relu = false)
    {
        int n = x.Dims[0], o = weight.Dims[0], p = geo.P, pq = p / 4, perImage = x.Size / Math.Max(1, n);
        var y = TensorBuffers.Uninitialized(n * o * (pool ? pq : p));
        var winners = pool ? new PoolWinners(n * o * pq) : null;
        bool fused = pool && DirectConvPool.Applies(geo);
        // Images are independent: each worker range convolves its own, into y or (pooling) into its cache-resident buffer.
        KernelThreads.For(n, (_, start, end) =>
        {
            var pad = Scratch.Get(Scratch.ConvPadded, fused ? DirectConvPool.PaddedScratch(geo) : DirectConv3x3.PaddedScratch(geo));
            var conv = winners is null || fused ? default : Scratch.Get(Scratch.ConvPoolChunk, o * p).AsSpan(0, o * p);
            var ws = weight.ReadOnlySpan;
            var bs = bias is null ? default : bias.ReadOnlySpan;
            for (int i = start; i < end; i++)
            {
                var image = x.ReadOnlySpan.Slice(i * perImage, perImage);
                if (winners is null)
                {
                    DirectConv3x3.Forward(image, 1, geo, ws, o, bs, y.AsSpan(i * o * p, o * p), pad);
                    continue;
                }
                var yi = y.AsSpan(i * o * pq, o * pq);
                var wi = winners.Slice(i * o * pq, o * pq);
                if (fused)
                {
                    DirectConvPool.Forward(image, geo, ws, o, bs, relu, yi, wi, pad);
                    continue;
                }
                DirectConv3x3.Forward(image, 1, geo, ws, o, bs, conv, pad);
                PoolKernels.MaxPool2x2Forward(conv, yi, wi, o, geo.Ho, geo.Wo);
                if (relu)
                {
                    ReluOnPooled(yi, wi);
                }
            }
        });
        int[] dims = pool ? [n, o, geo.Ho / 2, geo.Wo / 2] : [n, o, geo.Ho, geo.Wo];
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, dims, pool ? (relu ? "Conv2dMaxPool2dRelu" : "Conv2dMaxPool2d") : "Conv2d", inputs,
            g => Conv2dDirectBackward(g, x, weight, bias, geo, winners, fused));
    }

    // ReLU after the pool, as Ops.Relu computes it (NaN stays NaN, −0 becomes +0), adding ReluBlocked to the winner
    // code of every window whose gradient it blocks (not > 0). Branch-free: about half the windows are blocked, at random.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReluOnPooled(Span<float> y, Span<byte> winners)
    {
        int i = 0, n = y.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float y0 = ref MemoryMarshal.GetReference(y);
            ref byte k0 = ref MemoryMarshal.GetReference(winners);
            var table = s_blockedCodes;
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref y0, (nuint)i);
                var pass = Vector256.GreaterThan(v, Vector256<float>.Zero);
                var keep = pass | ~Vector256.Equals(v, v);
                Vector256.ConditionalSelect(keep, v, Vector256<float>.Zero).StoreUnsafe(ref y0, (nuint)i);
                // Codes are 0–3, so adding 4 to bytes of one 64-bit word never carries into the next byte.
                ref byte k = ref Unsafe.Add(ref k0, i);
                Unsafe.WriteUnaligned(ref k, Unsafe.ReadUnaligned<ulong>(ref k) + table[(~pass).ExtractMostSignificantBits() & 0xFF]);
            }
        }
        for (; i < n; i++)
        {
            float v = y[i];
            if (!(v > 0))
            {
                winners[i] += DirectConvPool.ReluBlocked;
                y[i] = float.IsNaN(v) ? v : 0f;
            }
        }
    }

    // Entry m: ReluBlocked in byte b for every set bit b of m.
    private static readonly ulong[] s_blockedCodes = BlockedCodes();

    private static ulong[] BlockedCodes()
    {
        var table = new ulong[256];
        for (int m = 0; m < 256; m++)
        {
            for (int b = 0; b < 8; b++)
            {
                table[m] |= ((m >> b) & 1) != 0 ? (ulong)DirectConvPool.ReluBlocked << (8 * b) : 0UL;
            }
        }
        return table;
    }

    // winners: set when the forward pass pooled; g is then the pooled gradient, spread back image by image (or, fused,
    // taken straight to the weight gradient). Winner codes of 4 and above (ReLU-blocked) pass no gradient.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Conv2dDirectBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, PoolWinners? winners, bool fused)
    {
        int n = x.Dims[0], o = weight.Dims[0], p = geo.P, pq = p / 4, perImage = x.Size / Math.Max(1, n);
        var gs = g.ReadOnlySpan;
        bool withBias = bias is not null && bias.RequiresGrad;
        if (weight.RequiresGrad || (withBias && winners is not null))
        {
            // One pass over the output gradient gives the weight and the bias gradients; one sum per worker range,
            // added in range order, so the result is the same whether the ranges run in parallel or not.
            var partial = new DirectConv3x3.GradientSums[KernelThreads.Ranges(n)];
            KernelThreads.For(n, (r, start, end) =>
            {
                var part = new DirectConv3x3.GradientSums(o, geo.C);
                var pad = Scratch.Get(Scratch.ConvPadded, fused ? DirectConvPool.PaddedScratch(geo) : DirectConv3x3.PaddedScratch(geo));
                var spread = winners is null || fused ? default : Scratch.Get(Scratch.ConvPoolChunk, o * p).AsSpan(0, o * p);
                var gp = g.ReadOnlySpan;
                for (int i = start; i < end; i++)
                {
                    if (fused)
                    {
                        DirectConvPool.AccumulateWeightGradient(x.ReadOnlySpan.Slice(i * perImage, perImage), geo, gp.Slice(i * o * pq, o * pq),
                            winners!.Slice(i * o * pq, o * pq), o, part, pad);
                        continue;
                    }
                    ReadOnlySpan<float> dy = spread;
                    if (winners is null)
                    {
                        dy = gp.Slice(i * o * p, o * p);
                    }
                    else
                    {
                        PoolKernels.MaxPool2x2Backward(winners.Slice(i * o * pq, o * pq), gp.Slice(i * o * pq, o * pq), spread, o, geo.Ho, geo.Wo);
                    }
                    DirectConv3x3.AccumulateWeightGradient(x.ReadOnlySpan.Slice(i * perImage, perImage), dy, 1, geo, o, part, pad);
                }
                partial[r] = part;
            });
            var sums = partial[0];
            for (int r = 1; r < partial.Length; r++)
            {
                sums.Add(partial[r]);
            }
            var dw = TensorBuffers.Uninitialized(o * geo.K);
            var db = withBias ? TensorBuffers.Uninitialized(o) : null;
            sums.WriteTo(dw, db);
            if (weight.RequiresGrad)
            {
                weight.AccumulateGrad(new Tensor(dw, (int[])weight.Dims.Clone()));
            }
            if (withBias)
            {
                bias!.AccumulateGrad(new Tensor(db!, [o]));
            }
        }
        else
        {
            // Unpooled: the bias gradient alone.
            ConvBiasGradient(gs, n, o, p, bias);
        }
        if (x.RequiresGrad)
        {
            // A first layer never needs this; any other caller gets the im2col input gradient (of the full-size
            // output gradient, spread back from the pooled one first when pooled).
            var full = g;
            if (winners is not null)
            {
                var dy = TensorBuffers.Uninitialized(n * o * p);
                PoolKernels.MaxPool2x2Backward(winners.All, gs, dy, n * o, geo.Ho, geo.Wo);
                full = new Tensor(dy, [n, o, geo.Ho, geo.Wo]);
            }
            Conv2dBackward(full, x, weight, bias, geo, ConvChunk(n, geo.K, geo.P), inputOnly: true);
        }
    }
}

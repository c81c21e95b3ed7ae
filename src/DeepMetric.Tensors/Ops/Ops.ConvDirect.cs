using System.Runtime.CompilerServices;
namespace DeepMetric.Tensors;

public static partial class Ops
{
    private static bool UseDirect(in ConvGeometry geo) =>
        !Winograd.ForceIm2Col && !Winograd.ForceWinograd && DirectConv3x3.Applies(geo);

    /// <summary>
    /// 3×3, stride-1 convolution of a few-channel input by <see cref="DirectConv3x3"/>. With <paramref name="pool"/>
    /// the result is the 2×2 max-pool of the convolution, each image's convolution pooled while it is still in cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor Conv2dDirect(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, bool pool = false)
    {
        int n = x.Dims[0], o = weight.Dims[0], p = geo.P, pq = p / 4, perImage = x.Size / Math.Max(1, n);
        var padded = Scratch.Get(Scratch.ConvPadded, DirectConv3x3.PaddedScratch(geo));
        var ws = weight.ReadOnlySpan;
        var bs = bias is null ? default : bias.ReadOnlySpan;
        float[] y;
        PoolWinners? winners = null;
        if (!pool)
        {
            y = TensorBuffers.Uninitialized(n * o * p);
            DirectConv3x3.Forward(x.ReadOnlySpan, n, geo, ws, o, bs, y, padded);
        }
        else
        {
            y = TensorBuffers.Uninitialized(n * o * pq);
            winners = new PoolWinners(n * o * pq);
            var pooledOut = y;
            KernelThreads.For(n, (_, start, end) =>
            {
                var conv = Scratch.Get(Scratch.ConvPoolChunk, o * p).AsSpan(0, o * p);
                var pad = Scratch.Get(Scratch.ConvPadded, DirectConv3x3.PaddedScratch(geo));
                var wsp = weight.ReadOnlySpan;
                var bsp = bias is null ? default : bias.ReadOnlySpan;
                for (int i = start; i < end; i++)
                {
                    DirectConv3x3.Forward(x.ReadOnlySpan.Slice(i * perImage, perImage), 1, geo, wsp, o, bsp, conv, pad);
                    PoolKernels.MaxPool2x2Forward(conv, pooledOut.AsSpan(i * o * pq, o * pq), winners.Slice(i * o * pq, o * pq), o, geo.Ho, geo.Wo);
                }
            });
        }
        int[] dims = pool ? [n, o, geo.Ho / 2, geo.Wo / 2] : [n, o, geo.Ho, geo.Wo];
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, dims, pool ? "Conv2dMaxPool2d" : "Conv2d", inputs, g => Conv2dDirectBackward(g, x, weight, bias, geo, winners));
    }

    // winners: set when the forward pass pooled; g is then the pooled gradient, spread back image by image.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Conv2dDirectBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo, PoolWinners? winners)
    {
        int n = x.Dims[0], o = weight.Dims[0], p = geo.P, pq = p / 4, perImage = x.Size / Math.Max(1, n);
        var gs = g.ReadOnlySpan;
        bool withBias = bias is not null && bias.RequiresGrad;
        if (weight.RequiresGrad)
        {
            // One pass over the output gradient gives the weight and the bias gradients.
            var sums = new DirectConv3x3.GradientSums(o, geo.C);
            var padded = Scratch.Get(Scratch.ConvPadded, DirectConv3x3.PaddedScratch(geo));
            if (winners is null)
            {
                DirectConv3x3.AccumulateWeightGradient(x.ReadOnlySpan, gs, n, geo, o, sums, padded);
            }
            else
            {
                // One sum per range, added in range order: the same result on every run.
                var partial = new DirectConv3x3.GradientSums[KernelThreads.Ranges(n)];
                KernelThreads.For(n, (r, start, end) =>
                {
                    var part = r == 0 ? sums : new DirectConv3x3.GradientSums(o, geo.C);
                    var spread = Scratch.Get(Scratch.ConvPoolChunk, o * p).AsSpan(0, o * p);
                    var pad = Scratch.Get(Scratch.ConvPadded, DirectConv3x3.PaddedScratch(geo));
                    var gp = g.ReadOnlySpan;
                    for (int i = start; i < end; i++)
                    {
                        PoolKernels.MaxPool2x2Backward(winners.Slice(i * o * pq, o * pq), gp.Slice(i * o * pq, o * pq), spread, o, geo.Ho, geo.Wo);
                        DirectConv3x3.AccumulateWeightGradient(x.ReadOnlySpan.Slice(i * perImage, perImage), spread, 1, geo, o, part, pad);
                    }
                    partial[r] = part;
                });
                for (int r = 1; r < partial.Length; r++)
                {
                    sums.Add(partial[r]);
                }
            }
            var dw = TensorBuffers.Uninitialized(o * geo.K);
            var db = withBias ? TensorBuffers.Uninitialized(o) : null;
            sums.WriteTo(dw, db);
            weight.AccumulateGrad(new Tensor(dw, (int[])weight.Dims.Clone()));
            if (withBias)
            {
                bias!.AccumulateGrad(new Tensor(db!, [o]));
            }
        }
        else
        {
            // Each pooled gradient lands on exactly one convolution output, so the sums are the same.
            ConvBiasGradient(gs, n, o, winners is null ? p : pq, bias);
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

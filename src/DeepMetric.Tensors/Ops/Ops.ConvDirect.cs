namespace DeepMetric.Tensors;

public static partial class Ops
{
    private static bool UseDirect(in ConvGeometry geo) =>
        !Winograd.ForceIm2Col && !Winograd.ForceWinograd && DirectConv3x3.Applies(geo);

    /// <summary>3×3, stride-1 convolution of a few-channel input by <see cref="DirectConv3x3"/>.</summary>
    private static Tensor Conv2dDirect(Tensor x, Tensor weight, Tensor? bias, ConvGeometry geo)
    {
        int n = x.Dims[0], o = weight.Dims[0];
        var y = TensorBuffers.Uninitialized(n * o * geo.P);
        var padded = Scratch.Get(Scratch.ConvPadded, DirectConv3x3.PaddedScratch(geo));
        DirectConv3x3.Forward(x.ReadOnlySpan, n, geo, weight.ReadOnlySpan, o, bias is null ? default : bias.ReadOnlySpan, y, padded);
        int[] dims = [n, o, geo.Ho, geo.Wo];
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, dims, "Conv2d", inputs, g =>
        {
            var gs = g.ReadOnlySpan;
            if (weight.RequiresGrad)
            {
                // One pass over the output gradient gives the weight and the bias gradients.
                bool withBias = bias is not null && bias.RequiresGrad;
                var dw = TensorBuffers.Uninitialized(o * geo.K);
                var db = withBias ? TensorBuffers.Uninitialized(o) : null;
                DirectConv3x3.WeightGradient(x.ReadOnlySpan, gs, n, geo, o, dw, db, Scratch.Get(Scratch.ConvPadded, DirectConv3x3.PaddedScratch(geo)));
                weight.AccumulateGrad(new Tensor(dw, (int[])weight.Dims.Clone()));
                if (withBias)
                {
                    bias!.AccumulateGrad(new Tensor(db!, [o]));
                }
            }
            else
            {
                ConvBiasGradient(gs, n, o, geo.P, bias);
            }
            if (x.RequiresGrad)
            {
                // A first layer never needs this; any other caller gets the im2col input gradient.
                Conv2dBackward(g, x, weight, bias, geo, ConvChunk(n, geo.K, geo.P), inputOnly: true);
            }
        });
    }
}

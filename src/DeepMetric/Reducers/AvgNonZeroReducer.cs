using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using DeepMetric.Tensors;

namespace DeepMetric;

/// <summary>
/// The mean over the values that are greater than zero ("average of non-zero losses"), so easy tuples that
/// already satisfy the margin do not dilute the signal (Hermans et al., 2017, "In Defense of the Triplet Loss").
/// </summary>
public sealed class AvgNonZeroReducer : Reducer
{
    // Blocks of the SIMD float sums accumulated in double (as Ops.Sum, so the value is the same as the
    // Sum(values · mask) / count it replaces).
    private const int SumBlock = 256;

    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels)
    {
        // One node instead of mask + Mul + Sum + Mul: the values of a triplet term can number tens of thousands.
        var v = values.ReadOnlySpan;
        Span<float> kept = stackalloc float[SumBlock];
        int count = 0;
        double sum = 0;
        for (int start = 0; start < v.Length; start += SumBlock)
        {
            var block = v.Slice(start, Math.Min(SumBlock, v.Length - start));
            var k = kept[..block.Length];
            for (int i = 0; i < block.Length; i++)
            {
                bool keep = block[i] > 0f;
                // v · 0 rather than 0, as the masked product it replaces: a NaN or −∞ value still makes the loss NaN.
                k[i] = keep ? block[i] : block[i] * 0f;
                count += keep ? 1 : 0;
            }
            sum += TensorPrimitives.Sum(k);
        }
        float scale = count == 0 ? 0f : 1f / count;
        var dims = (int[])values.Dims.Clone();
        return Tensor.Record([(float)sum * scale], [], "AvgNonZero", values, g =>
        {
            var dv = StepBuffers.Uninitialized(dims[0]);
            float gk = g.Item() * scale;
            var x = values.ReadOnlySpan;
            for (int i = 0; i < x.Length; i++)
            {
                dv[i] = x[i] > 0f ? gk : 0f;
            }
            values.AccumulateGrad(new Tensor(dv, dims));
        });
    }
}

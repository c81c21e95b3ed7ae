using System.Numerics;
using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace DeepMetric.Reducers;

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
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // Which values are positive is data-dependent (about half of a semi-hard triplet term): select, don't branch.
                var counted = Vector<int>.Zero;
                for (; i <= block.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var x = new Vector<float>(block[i..]);
                    var positive = Vector.GreaterThan(x, Vector<float>.Zero);
                    Vector.ConditionalSelect(positive, x, x * 0f).CopyTo(k[i..]);
                    counted -= positive;
                }
                count += Vector.Sum(counted);
            }
            for (; i < block.Length; i++)
            {
                bool keep = block[i] > 0f;
                // v · 0 rather than 0, as the masked product it replaces: a NaN or −∞ value still makes the loss NaN.
                k[i] = keep ? block[i] : block[i] * 0f;
                count += keep ? 1 : 0;
            }
            sum += TensorPrimitives.Sum(k);
        }
        float scale = count == 0 ? 0f : 1f / count;
        int[] dims = values.Shape;
        return CustomOp.Create("AvgNonZero", [(float)sum * scale], [], [values], g =>
        {
            var dv = StepBuffers.Uninitialized(dims[0]);
            float gk = g.Item() * scale;
            var x = values.ReadOnlySpan;
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var vgk = new Vector<float>(gk);
                for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(x[i..]), Vector<float>.Zero), vgk, Vector<float>.Zero).CopyTo(dv, i);
                }
            }
            for (; i < x.Length; i++)
            {
                dv[i] = x[i] > 0f ? gk : 0f;
            }
            return [Tensor.WrapView(dv, 0, dims)];
        });
    }
}

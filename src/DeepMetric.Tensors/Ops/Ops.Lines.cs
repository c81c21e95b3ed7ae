namespace DeepMetric.Tensors;

// Shared plumbing for ops that work on whole lines along one axis (softmax, normalisation, indexing).
public static partial class Ops
{
    /// <summary>Per-line kernel: the line number (outer·inner + i), up to two input lines and the output line.</summary>
    private delegate void LineKernel(int line, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst);

    /// <summary>
    /// Splits a shape around <paramref name="axis"/>: element (o, k, i) lives at flat index (o·n + k)·inner + i.
    /// </summary>
    private static (int Outer, int N, int Inner) SplitAxis(int[] dims, int axis) =>
        (ShapeUtil.ProductRange(dims, 0, axis), dims[axis], ShapeUtil.ProductRange(dims, axis + 1, dims.Length));

    /// <summary>
    /// Calls <paramref name="kernel"/> on every line along the middle axis of an [outer, n, inner] layout.
    /// Lines are passed in place when contiguous (inner = 1), otherwise gathered into and scattered from scratch rows.
    /// </summary>
    private static void ForEachLine(int outer, int n, int inner, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst, LineKernel kernel)
    {
        bool hasB = !b.IsEmpty;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                kernel(o, a.Slice(o * n, n), hasB ? b.Slice(o * n, n) : default, dst.Slice(o * n, n));
            }
            return;
        }
        var sa = TensorBuffers.Zeroed(n);
        var sb = hasB ? TensorBuffers.Zeroed(n) : [];
        var sd = TensorBuffers.Zeroed(n);
        for (int o = 0; o < outer; o++)
        {
            int block = o * n * inner;
            for (int i = 0; i < inner; i++)
            {
                int start = block + i;
                for (int k = 0; k < n; k++)
                {
                    sa[k] = a[start + (k * inner)];
                }
                if (hasB)
                {
                    for (int k = 0; k < n; k++)
                    {
                        sb[k] = b[start + (k * inner)];
                    }
                }
                kernel((o * inner) + i, sa, sb, sd);
                for (int k = 0; k < n; k++)
                {
                    dst[start + (k * inner)] = sd[k];
                }
            }
        }
    }

    /// <summary>Dot product accumulated in double over SIMD blocks.</summary>
    private static double DotDouble(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        const int Block = 256;
        double total = 0;
        for (int i = 0; i < x.Length; i += Block)
        {
            int len = Math.Min(Block, x.Length - i);
            total += System.Numerics.Tensors.TensorPrimitives.Dot(x.Slice(i, len), y.Slice(i, len));
        }
        return total;
    }
}

namespace DeepMetric.Tensors;

/// <summary>
/// Broadcasting machinery: runs a binary kernel over two tensors of broadcast-compatible shapes,
/// and reduces a gradient back to an input's shape.
/// </summary>
internal static class Broadcast
{
    /// <summary>Row callback: output row offset, offsets into a and b, and whether a/b advance along the last axis.</summary>
    private delegate void RowAction(int outOffset, int aOffset, int bOffset);

    /// <summary>Computes <c>K(a, b)</c> with NumPy broadcasting; no graph is recorded.</summary>
    public static Tensor Apply<TKernel>(Tensor a, Tensor b, string op)
        where TKernel : IBinaryKernel
    {
        if (ShapeUtil.SameShape(a.Dims, b.Dims))
        {
            var d = TensorBuffers.Uninitialized(a.Size);
            TKernel.Run(a.ReadOnlySpan, b.ReadOnlySpan, d);
            return new Tensor(d, (int[])a.Dims.Clone());
        }
        var outDims = ShapeUtil.Broadcast(a.Dims, b.Dims, op);
        int size = ShapeUtil.Product(outDims);
        var data = TensorBuffers.Uninitialized(size);
        if (b.Size == 1 && size == a.Size)
        {
            TKernel.Run(a.ReadOnlySpan, b.Buffer[b.Offset], data);
            return new Tensor(data, outDims);
        }
        if (a.Size == 1 && size == b.Size)
        {
            TKernel.Run(a.Buffer[a.Offset], b.ReadOnlySpan, data);
            return new Tensor(data, outDims);
        }
        int inner = outDims.Length == 0 ? 1 : outDims[^1];
        var sa = ShapeUtil.BroadcastStrides(a.Dims, outDims);
        var sb = ShapeUtil.BroadcastStrides(b.Dims, outDims);
        bool aRow = sa.Length > 0 && sa[^1] != 0;
        bool bRow = sb.Length > 0 && sb[^1] != 0;
        float[] ab = a.Buffer, bb = b.Buffer;
        int ao = a.Offset, bo = b.Offset;
        ForEachRow(outDims, sa, sb, (o, ia, ib) =>
        {
            var dst = data.AsSpan(o, inner);
            if (aRow && bRow)
            {
                TKernel.Run(ab.AsSpan(ao + ia, inner), bb.AsSpan(bo + ib, inner), dst);
            }
            else if (aRow)
            {
                TKernel.Run(ab.AsSpan(ao + ia, inner), bb[bo + ib], dst);
            }
            else if (bRow)
            {
                TKernel.Run(ab[ao + ia], bb.AsSpan(bo + ib, inner), dst);
            }
            else
            {
                Span<float> one = stackalloc float[1];
                TKernel.Run(ab.AsSpan(ao + ia, 1), bb[bo + ib], one);
                dst.Fill(one[0]);
            }
        });
        return new Tensor(data, outDims);
    }

    /// <summary>Elementwise scalar function of two broadcast tensors (for the less common ops and masks).</summary>
    public static Tensor Map(Tensor a, Tensor b, Func<float, float, float> f, string op)
    {
        var outDims = ShapeUtil.Broadcast(a.Dims, b.Dims, op);
        int size = ShapeUtil.Product(outDims);
        var data = TensorBuffers.Uninitialized(size);
        int inner = outDims.Length == 0 ? 1 : outDims[^1];
        var sa = ShapeUtil.BroadcastStrides(a.Dims, outDims);
        var sb = ShapeUtil.BroadcastStrides(b.Dims, outDims);
        int la = sa.Length > 0 ? sa[^1] : 0, lb = sb.Length > 0 ? sb[^1] : 0;
        float[] ab = a.Buffer, bb = b.Buffer;
        int ao = a.Offset, bo = b.Offset;
        ForEachRow(outDims, sa, sb, (o, ia, ib) =>
        {
            for (int j = 0; j < inner; j++)
            {
                data[o + j] = f(ab[ao + ia + (j * la)], bb[bo + ib + (j * lb)]);
            }
        });
        return new Tensor(data, outDims);
    }

    /// <summary>Sums <paramref name="grad"/> (of a broadcast output shape) down to <paramref name="target"/>.</summary>
    public static Tensor SumTo(Tensor grad, int[] target)
    {
        if (ShapeUtil.SameShape(grad.Dims, target))
        {
            return grad;
        }
        var result = TensorBuffers.Zeroed(ShapeUtil.Product(target));
        if (result.Length == 1)
        {
            result[0] = System.Numerics.Tensors.TensorPrimitives.Sum(grad.ReadOnlySpan);
            return new Tensor(result, (int[])target.Clone());
        }
        var outDims = grad.Dims;
        int inner = outDims.Length == 0 ? 1 : outDims[^1];
        var st = ShapeUtil.BroadcastStrides(target, outDims);
        var sg = ShapeUtil.Strides(outDims);
        bool tRow = st.Length > 0 && st[^1] != 0;
        float[] gb = grad.Buffer;
        int go = grad.Offset;
        ForEachRow(outDims, sg, st, (o, ig, it) =>
        {
            var src = gb.AsSpan(go + ig, inner);
            if (tRow)
            {
                var dst = result.AsSpan(it, inner);
                System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
            }
            else
            {
                result[it] += System.Numerics.Tensors.TensorPrimitives.Sum(src);
            }
        });
        return new Tensor(result, (int[])target.Clone());
    }

    /// <summary>
    /// Visits every row (all indices but the last) of <paramref name="outDims"/> in order, passing the
    /// flat output offset and the offsets into two operands with the given (broadcast) strides.
    /// </summary>
    private static void ForEachRow(int[] outDims, int[] s1, int[] s2, RowAction action)
    {
        int rank = outDims.Length;
        if (rank <= 1)
        {
            action(0, 0, 0);
            return;
        }
        int inner = outDims[^1];
        int rows = ShapeUtil.ProductRange(outDims, 0, rank - 1);
        Span<int> idx = stackalloc int[rank - 1];
        idx.Clear();
        int o1 = 0, o2 = 0;
        for (int r = 0; r < rows; r++)
        {
            action(r * inner, o1, o2);
            for (int ax = rank - 2; ax >= 0; ax--)
            {
                idx[ax]++;
                o1 += s1[ax];
                o2 += s2[ax];
                if (idx[ax] < outDims[ax])
                {
                    break;
                }
                o1 -= s1[ax] * outDims[ax];
                o2 -= s2[ax] * outDims[ax];
                idx[ax] = 0;
            }
        }
    }
}

using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

/// <summary>Row-major helpers for the small integer tensors of shape computations (no gradients).</summary>
internal static class IntOps
{
    public static (int Outer, int N, int Inner) SplitAxis(int[] dims, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++)
        {
            outer *= dims[i];
        }
        for (int i = axis + 1; i < dims.Length; i++)
        {
            inner *= dims[i];
        }
        return (outer, dims[axis], inner);
    }

    /// <summary>The entries at <paramref name="idx"/> along <paramref name="axis"/> (result has Dim(axis) = idx.Length).</summary>
    public static long[] Take(long[] data, int[] dims, int axis, int[] idx)
    {
        var (outer, n, inner) = SplitAxis(dims, axis);
        var r = new long[outer * idx.Length * inner];
        int at = 0;
        for (int o = 0; o < outer; o++)
        {
            foreach (int i in idx)
            {
                Array.Copy(data, ((o * n) + i) * inner, r, at, inner);
                at += inner;
            }
        }
        return r;
    }

    public static long[] Concat(IReadOnlyList<OnnxValue> parts, int axis, out int[] dims)
    {
        dims = (int[])parts[0].Dims.Clone();
        int total = 0;
        foreach (var p in parts)
        {
            total += p.Dims[axis];
        }
        dims[axis] = total;
        var (outer, _, inner) = SplitAxis(dims, axis);
        var r = new long[OnnxValue.ShapeOf(dims)];
        int at = 0;
        for (int o = 0; o < outer; o++)
        {
            foreach (var p in parts)
            {
                int len = p.Dims[axis] * inner;
                Array.Copy(p.AsInts(), o * len, r, at, len);
                at += len;
            }
        }
        return r;
    }

    public static long[] Permute(long[] data, int[] dims, int[] perm, out int[] outDims)
    {
        int rank = dims.Length;
        outDims = new int[rank];
        var inStrides = TensorShape.Strides(dims);
        for (int i = 0; i < rank; i++)
        {
            outDims[i] = dims[perm[i]];
        }
        var r = new long[data.Length];
        var idx = new int[rank];
        for (int k = 0; k < r.Length; k++)
        {
            int src = 0;
            for (int i = 0; i < rank; i++)
            {
                src += idx[i] * inStrides[perm[i]];
            }
            r[k] = data[src];
            Next(idx, outDims);
        }
        return r;
    }

    /// <summary>f(a, b) with NumPy broadcasting.</summary>
    public static long[] Broadcast(OnnxValue a, OnnxValue b, Func<long, long, long> f, out int[] dims)
    {
        dims = BroadcastDims(a.Dims, b.Dims);
        var ad = a.AsInts();
        var bd = b.AsInts();
        var aIdx = BroadcastIndex(a.Dims, dims);
        var bIdx = BroadcastIndex(b.Dims, dims);
        var r = new long[aIdx.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = f(ad[aIdx[i]], bd[bIdx[i]]);
        }
        return r;
    }

    /// <summary>For every element of the broadcast shape, the index into an operand of shape <paramref name="dims"/>.</summary>
    public static int[] BroadcastIndex(int[] dims, int[] outDims)
    {
        int rank = outDims.Length, size = OnnxValue.ShapeOf(outDims);
        var strides = new int[rank];
        var own = TensorShape.Strides(dims);
        for (int i = 0; i < dims.Length; i++)
        {
            int o = rank - dims.Length + i;
            strides[o] = dims[i] == 1 ? 0 : own[i];
        }
        var r = new int[size];
        var idx = new int[rank];
        for (int k = 0; k < size; k++)
        {
            int src = 0;
            for (int i = 0; i < rank; i++)
            {
                src += idx[i] * strides[i];
            }
            r[k] = src;
            Next(idx, outDims);
        }
        return r;
    }

    public static int[] BroadcastDims(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast.");
            }
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    private static void Next(int[] idx, int[] dims)
    {
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            if (++idx[i] < dims[i])
            {
                return;
            }
            idx[i] = 0;
        }
    }
}

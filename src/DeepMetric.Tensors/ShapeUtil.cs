using System.Globalization;

namespace DeepMetric.Tensors;

/// <summary>Shape arithmetic shared by all ops: products, strides, axis normalisation and broadcasting.</summary>
internal static class ShapeUtil
{
    public static int Product(ReadOnlySpan<int> dims)
    {
        long p = 1;
        foreach (int d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape dimensions must be non-negative, got {Format(dims)}.");
            }
            p *= d;
            if (p > int.MaxValue)
            {
                throw new ArgumentException($"Shape {Format(dims)} has more than {int.MaxValue} elements.");
            }
        }
        return (int)p;
    }

    public static int ProductRange(int[] dims, int start, int end)
    {
        int p = 1;
        for (int i = start; i < end; i++)
        {
            p *= dims[i];
        }
        return p;
    }

    public static int NormalizeAxis(int axis, int rank, string paramName)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw new ArgumentOutOfRangeException(paramName, axis, $"Axis {axis} is out of range for a tensor of rank {rank}.");
        }
        return a;
    }

    public static int[] Strides(int[] dims) => TensorShape.Strides(dims);

    public static int FlatIndex(int[] dims, int[] index)
    {
        if (index.Length != dims.Length)
        {
            throw new ArgumentException($"Index has {index.Length} components but the tensor has rank {dims.Length}.", nameof(index));
        }
        int flat = 0;
        for (int i = 0; i < dims.Length; i++)
        {
            int ix = index[i] < 0 ? index[i] + dims[i] : index[i];
            if ((uint)ix >= (uint)dims[i])
            {
                throw new IndexOutOfRangeException($"Index {index[i]} is out of range for dimension {i} of size {dims[i]}.");
            }
            flat = (flat * dims[i]) + ix;
        }
        return flat;
    }

    public static bool SameShape(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);

    /// <summary>NumPy broadcasting of two shapes; throws naming both shapes when incompatible.</summary>
    public static int[] Broadcast(int[] a, int[] b, string op)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dimension {i}: {da} vs {db}).");
            }
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides of <paramref name="dims"/> viewed in the broadcast shape <paramref name="outDims"/>: 0 on broadcast axes.</summary>
    public static int[] BroadcastStrides(int[] dims, int[] outDims)
    {
        int rank = outDims.Length;
        var s = new int[rank];
        int acc = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int j = i - (rank - dims.Length);
            int d = j >= 0 ? dims[j] : 1;
            s[i] = d == 1 && outDims[i] != 1 ? 0 : acc;
            acc *= d;
        }
        return s;
    }

    public static string Format(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            parts[i] = dims[i].ToString(CultureInfo.InvariantCulture);
        }
        return "[" + string.Join(", ", parts) + "]";
    }

    public static int[] RemoveAxis(int[] dims, int axis, bool keepDim)
    {
        var r = (int[])dims.Clone();
        if (keepDim)
        {
            r[axis] = 1;
            return r;
        }
        var list = new List<int>(r);
        list.RemoveAt(axis);
        return [.. list];
    }
}

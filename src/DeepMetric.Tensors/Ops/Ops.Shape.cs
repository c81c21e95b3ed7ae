using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// A view with a new shape and the same elements (no copy). One dimension may be −1 and is inferred.
    /// </summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(shape);
        var dims = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0)
                {
                    throw new ArgumentException($"Reshape: only one dimension may be -1, got {ShapeUtil.Format(shape)}.", nameof(shape));
                }
                infer = i;
            }
            else if (dims[i] < 0)
            {
                throw new ArgumentException($"Reshape: dimensions must be non-negative or -1, got {ShapeUtil.Format(shape)}.", nameof(shape));
            }
            else
            {
                known *= dims[i];
            }
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Size % known != 0)
            {
                throw new ArgumentException($"Reshape: cannot infer -1 in {ShapeUtil.Format(shape)} for {x.Size} elements (shape {ShapeUtil.Format(x.Dims)}).", nameof(shape));
            }
            dims[infer] = x.Size / known;
        }
        if (ShapeUtil.Product(dims) != x.Size)
        {
            throw new ArgumentException($"Reshape: shape {ShapeUtil.Format(shape)} does not match the {x.Size} elements of a tensor of shape {ShapeUtil.Format(x.Dims)}.", nameof(shape));
        }
        var srcDims = x.Dims;
        return Tensor.RecordView(x, x.Offset, dims, "Reshape", g => x.AccumulateGrad(new Tensor(g.Buffer, g.Offset, srcDims)));
    }

    /// <summary>Collapses dimensions from <paramref name="startAxis"/> onwards into one.</summary>
    public static Tensor Flatten(Tensor x, int startAxis = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0)
        {
            return Reshape(x, 1);
        }
        int s = ShapeUtil.NormalizeAxis(startAxis, x.Rank, nameof(startAxis));
        var dims = new int[s + 1];
        Array.Copy(x.Dims, dims, s);
        dims[s] = ShapeUtil.ProductRange(x.Dims, s, x.Rank);
        return Reshape(x, dims);
    }

    /// <summary>Inserts a dimension of length 1 at <paramref name="axis"/>.</summary>
    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = ShapeUtil.NormalizeAxis(axis, x.Rank + 1, nameof(axis));
        var dims = new List<int>(x.Dims);
        dims.Insert(a, 1);
        return Reshape(x, [.. dims]);
    }

    /// <summary>Removes a dimension of length 1 at <paramref name="axis"/>.</summary>
    public static Tensor Squeeze(Tensor x, int axis)
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = ShapeUtil.NormalizeAxis(axis, x.Rank, nameof(axis));
        if (x.Dims[a] != 1)
        {
            throw new ArgumentException($"Squeeze: dimension {axis} has length {x.Dims[a]}, not 1 (shape {ShapeUtil.Format(x.Dims)}).", nameof(axis));
        }
        return Reshape(x, ShapeUtil.RemoveAxis(x.Dims, a, keepDim: false));
    }

    /// <summary>Reorders the dimensions (a copy): result dimension i is input dimension <c>axes[i]</c>.</summary>
    public static Tensor Permute(Tensor x, params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Length != x.Rank)
        {
            throw new ArgumentException($"Permute: {axes.Length} axes given for a tensor of rank {x.Rank}.", nameof(axes));
        }
        var norm = new int[axes.Length];
        var seen = new bool[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            norm[i] = ShapeUtil.NormalizeAxis(axes[i], x.Rank, nameof(axes));
            if (seen[norm[i]])
            {
                throw new ArgumentException($"Permute: axis {axes[i]} appears twice in {ShapeUtil.Format(axes)}.", nameof(axes));
            }
            seen[norm[i]] = true;
        }
        var inverse = new int[norm.Length];
        for (int i = 0; i < norm.Length; i++)
        {
            inverse[norm[i]] = i;
        }
        var data = PermuteData(x, norm, out var dims);
        return Tensor.Record(data, dims, "Permute", x, g =>
        {
            var back = PermuteData(g, inverse, out var bd);
            x.AccumulateGrad(new Tensor(back, bd));
        });
    }

    /// <summary>Swaps two dimensions (a copy); with no arguments, transposes the last two.</summary>
    public static Tensor Transpose(Tensor x, int axis0 = -2, int axis1 = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 2)
        {
            throw new ArgumentException($"Transpose needs a tensor of rank ≥ 2, got shape {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        int a0 = ShapeUtil.NormalizeAxis(axis0, x.Rank, nameof(axis0));
        int a1 = ShapeUtil.NormalizeAxis(axis1, x.Rank, nameof(axis1));
        var axes = new int[x.Rank];
        for (int i = 0; i < axes.Length; i++)
        {
            axes[i] = i;
        }
        (axes[a0], axes[a1]) = (axes[a1], axes[a0]);
        return Permute(x, axes);
    }

    private static float[] PermuteData(Tensor x, int[] axes, out int[] dims)
    {
        int rank = x.Rank;
        dims = new int[rank];
        var srcStrides = ShapeUtil.Strides(x.Dims);
        var strides = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = x.Dims[axes[i]];
            strides[i] = srcStrides[axes[i]];
        }
        var data = TensorBuffers.Uninitialized(x.Size);
        var src = x.ReadOnlySpan;
        if (rank == 2)
        {
            Kernels.Transpose2D(src, data, x.Dims[0], x.Dims[1]);
            return data;
        }
        if (rank == 3 && axes[0] == 0 && axes[1] == 2 && axes[2] == 1)
        {
            int m = x.Dims[1], n = x.Dims[2];
            for (int b = 0; b < x.Dims[0]; b++)
            {
                Kernels.Transpose2D(src.Slice(b * m * n, m * n), data.AsSpan(b * m * n, m * n), m, n);
            }
            return data;
        }
        Span<int> idx = stackalloc int[rank];
        idx.Clear();
        int off = 0;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = src[off];
            for (int ax = rank - 1; ax >= 0; ax--)
            {
                idx[ax]++;
                off += strides[ax];
                if (idx[ax] < dims[ax])
                {
                    break;
                }
                off -= strides[ax] * dims[ax];
                idx[ax] = 0;
            }
        }
        return data;
    }
}

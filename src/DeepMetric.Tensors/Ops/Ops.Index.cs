using System.Numerics.Tensors;

namespace DeepMetric.Tensors;

// Slicing, joining, gathering and scattering. All are differentiable; index arguments carry no gradient.
public static partial class Ops
{
    /// <summary>
    /// The entries <paramref name="start"/> … <paramref name="start"/> + <paramref name="length"/> − 1 along
    /// <paramref name="axis"/>. A zero-copy view when the slice is contiguous in storage (every dimension before
    /// <paramref name="axis"/> has length 1, e.g. axis 0), otherwise a copy.
    /// </summary>
    /// <remarks>The backward scatters the output gradient into zeros of the input's shape.</remarks>
    /// <param name="x">Input of rank ≥ 1.</param>
    /// <param name="axis">The axis to cut; negative values count from the end.</param>
    /// <param name="start">First index kept, in [0, Dim(axis)].</param>
    /// <param name="length">Number of entries kept; start + length must not exceed Dim(axis).</param>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit inside the axis.</exception>
    public static Tensor Slice(Tensor x, int axis, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = LineAxis(x, axis, "Slice");
        var (outer, n, inner) = SplitAxis(x.Dims, a);
        if (start < 0 || start > n)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Slice: start must be in [0, {n}] for axis {axis} of shape {ShapeUtil.Format(x.Dims)}.");
        }
        if (length < 0 || (long)start + length > n)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Slice: length must be in [0, {n - start}] for start {start} on axis {axis} of shape {ShapeUtil.Format(x.Dims)}.");
        }
        var dims = (int[])x.Dims.Clone();
        dims[a] = length;
        var srcDims = x.Dims;
        int block = length * inner;
        if (outer == 1 || (outer > 1 && start == 0 && length == n))
        {
            int first = start * inner;
            return Tensor.RecordView(x, x.Offset + first, dims, "Slice", g =>
            {
                var dx = TensorBuffers.Zeroed(x.Size);
                g.ReadOnlySpan.CopyTo(dx.AsSpan(first));
                x.AccumulateGrad(new Tensor(dx, (int[])srcDims.Clone()));
            });
        }
        var data = TensorBuffers.Uninitialized(outer * block);
        var xs = x.ReadOnlySpan;
        for (int o = 0; o < outer; o++)
        {
            xs.Slice(((o * n) + start) * inner, block).CopyTo(data.AsSpan(o * block));
        }
        return Tensor.Record(data, dims, "Slice", x, g =>
        {
            var dx = TensorBuffers.Zeroed(x.Size);
            var gs = g.ReadOnlySpan;
            for (int o = 0; o < outer; o++)
            {
                gs.Slice(o * block, block).CopyTo(dx.AsSpan(((o * n) + start) * inner));
            }
            x.AccumulateGrad(new Tensor(dx, (int[])srcDims.Clone()));
        });
    }

    /// <summary>Joins tensors along an existing <paramref name="axis"/>; all other dimensions must agree.</summary>
    /// <param name="xs">One or more tensors of the same rank ≥ 1.</param>
    /// <param name="axis">The axis to join along; negative values count from the end.</param>
    /// <exception cref="ArgumentException">The list is empty or the shapes disagree off the axis.</exception>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int axis)
    {
        var inputs = CheckList(xs, "Concat");
        var first = inputs[0];
        int a = LineAxis(first, axis, "Concat");
        var dims = (int[])first.Dims.Clone();
        dims[a] = 0;
        var blocks = new int[inputs.Length];
        int inner = ShapeUtil.ProductRange(first.Dims, a + 1, first.Rank);
        for (int t = 0; t < inputs.Length; t++)
        {
            var d = inputs[t].Dims;
            bool ok = d.Length == first.Rank;
            for (int i = 0; ok && i < d.Length; i++)
            {
                ok = i == a || d[i] == first.Dims[i];
            }
            if (!ok)
            {
                throw new ArgumentException($"Concat: tensor {t} has shape {ShapeUtil.Format(d)} but tensor 0 has shape {ShapeUtil.Format(first.Dims)}; shapes must agree except along axis {axis}.", nameof(xs));
            }
            dims[a] += d[a];
            blocks[t] = d[a] * inner;
        }
        return JoinBlocks(inputs, ShapeUtil.ProductRange(first.Dims, 0, a), blocks, dims, "Concat");
    }

    /// <summary>Stacks tensors of identical shape along a new <paramref name="axis"/> (in [−rank−1, rank]).</summary>
    /// <param name="xs">One or more tensors of the same shape.</param>
    /// <param name="axis">Position of the new axis in the result; negative values count from the end.</param>
    /// <exception cref="ArgumentException">The list is empty or the shapes differ.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> xs, int axis)
    {
        var inputs = CheckList(xs, "Stack");
        var first = inputs[0];
        int a = ShapeUtil.NormalizeAxis(axis, first.Rank + 1, nameof(axis));
        for (int t = 1; t < inputs.Length; t++)
        {
            if (!ShapeUtil.SameShape(inputs[t].Dims, first.Dims))
            {
                throw new ArgumentException($"Stack: tensor {t} has shape {ShapeUtil.Format(inputs[t].Dims)} but tensor 0 has shape {ShapeUtil.Format(first.Dims)}; all must be equal.", nameof(xs));
            }
        }
        var dims = new int[first.Rank + 1];
        for (int i = 0, j = 0; i < dims.Length; i++)
        {
            dims[i] = i == a ? inputs.Length : first.Dims[j++];
        }
        var blocks = new int[inputs.Length];
        Array.Fill(blocks, ShapeUtil.ProductRange(first.Dims, a, first.Rank));
        return JoinBlocks(inputs, ShapeUtil.ProductRange(first.Dims, 0, a), blocks, dims, "Stack");
    }

    /// <summary>
    /// The entries at <paramref name="indices"/> along <paramref name="axis"/>, in that order: the result has
    /// Dim(axis) = indices.Length. Repeated indices are allowed and their gradients accumulate.
    /// </summary>
    /// <param name="x">Input of rank ≥ 1.</param>
    /// <param name="axis">The axis to index; negative values count from the end.</param>
    /// <param name="indices">Positions along the axis, each in [0, Dim(axis)).</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public static Tensor IndexSelect(Tensor x, int axis, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(indices);
        int a = LineAxis(x, axis, "IndexSelect");
        var (outer, n, inner) = SplitAxis(x.Dims, a);
        CheckIndices(indices, n, nameof(indices), "IndexSelect");
        var dims = (int[])x.Dims.Clone();
        dims[a] = indices.Length;
        var data = SelectBlocks(x.ReadOnlySpan, outer, n, inner, indices);
        var srcDims = x.Dims;
        return Tensor.Record(data, dims, "IndexSelect", x, g =>
        {
            var dx = TensorBuffers.Zeroed(x.Size);
            AddBlocks(dx, outer, n, inner, indices, g.ReadOnlySpan);
            x.AccumulateGrad(new Tensor(dx, (int[])srcDims.Clone()));
        });
    }

    /// <summary>
    /// Elements of a matrix at index pairs: result[i] = matrix[rows[i], cols[i]], a 1-D tensor of length rows.Length.
    /// The backward scatter-adds, so repeated pairs accumulate. This is how metric losses read d[a, p].
    /// </summary>
    /// <param name="matrix">A 2-D tensor.</param>
    /// <param name="rows">Row indices.</param>
    /// <param name="cols">Column indices, as many as <paramref name="rows"/>.</param>
    /// <exception cref="ArgumentException">The matrix is not 2-D or the index arrays differ in length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public static Tensor Gather2D(Tensor matrix, int[] rows, int[] cols)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(cols);
        if (matrix.Rank != 2)
        {
            throw new ArgumentException($"Gather2D needs a 2-D matrix, got shape {ShapeUtil.Format(matrix.Dims)}.", nameof(matrix));
        }
        if (rows.Length != cols.Length)
        {
            throw new ArgumentException($"Gather2D: {rows.Length} row indices but {cols.Length} column indices; they must pair up.", nameof(cols));
        }
        int r = matrix.Dims[0], c = matrix.Dims[1];
        CheckIndices(rows, r, nameof(rows), "Gather2D");
        CheckIndices(cols, c, nameof(cols), "Gather2D");
        var data = TensorBuffers.Uninitialized(rows.Length);
        var m = matrix.ReadOnlySpan;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = m[(rows[i] * c) + cols[i]];
        }
        return Tensor.Record(data, [rows.Length], "Gather2D", matrix, g =>
        {
            var dx = TensorBuffers.Zeroed(matrix.Size);
            var gs = g.ReadOnlySpan;
            for (int i = 0; i < gs.Length; i++)
            {
                dx[(rows[i] * c) + cols[i]] += gs[i];
            }
            matrix.AccumulateGrad(new Tensor(dx, [r, c]));
        });
    }

    /// <summary>
    /// Gathers along an axis, as <c>torch.gather</c>: the result has x's shape except that Dim(axis) = k, and
    /// result[…, j, …] = x[…, index[…, j, …], …] where the index replaces the coordinate along <paramref name="axis"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="index"/> is the flat row-major index tensor of the result's shape. With x of shape
    /// [d₀, …, dₐ, …] its length must be k · Π_{i≠axis} dᵢ, from which k is inferred; every entry must be in [0, dₐ).
    /// Example: x [N, C], axis 1 and index = targets gives the [N, 1] column x[n, targets[n]].
    /// The backward scatter-adds, so repeated indices accumulate.
    /// </remarks>
    /// <param name="x">Input of rank ≥ 1.</param>
    /// <param name="axis">The axis the index selects along; negative values count from the end.</param>
    /// <param name="index">Flat row-major index of the result's shape.</param>
    /// <exception cref="ArgumentException">The index length is not a multiple of the product of the other dimensions.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index entry is out of range.</exception>
    public static Tensor GatherAlongAxis(Tensor x, int axis, int[] index)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(index);
        int a = LineAxis(x, axis, "GatherAlongAxis");
        var (outer, n, inner) = SplitAxis(x.Dims, a);
        int lanes = outer * inner;
        if (lanes == 0 ? index.Length != 0 : index.Length % lanes != 0)
        {
            throw new ArgumentException($"GatherAlongAxis: index length {index.Length} is not a multiple of {lanes}, the product of the dimensions of {ShapeUtil.Format(x.Dims)} other than axis {axis}.", nameof(index));
        }
        CheckIndices(index, n, nameof(index), "GatherAlongAxis");
        int k = lanes == 0 ? 0 : index.Length / lanes;
        var dims = (int[])x.Dims.Clone();
        dims[a] = k;
        var data = TensorBuffers.Uninitialized(index.Length);
        var xs = x.ReadOnlySpan;
        for (int o = 0, p = 0; o < outer; o++)
        {
            int baseX = o * n * inner;
            for (int j = 0; j < k; j++)
            {
                for (int i = 0; i < inner; i++, p++)
                {
                    data[p] = xs[baseX + (index[p] * inner) + i];
                }
            }
        }
        var srcDims = x.Dims;
        return Tensor.Record(data, dims, "GatherAlongAxis", x, g =>
        {
            var dx = TensorBuffers.Zeroed(x.Size);
            var gs = g.ReadOnlySpan;
            for (int o = 0, p = 0; o < outer; o++)
            {
                int baseX = o * n * inner;
                for (int j = 0; j < k; j++)
                {
                    for (int i = 0; i < inner; i++, p++)
                    {
                        dx[baseX + (index[p] * inner) + i] += gs[p];
                    }
                }
            }
            x.AccumulateGrad(new Tensor(dx, (int[])srcDims.Clone()));
        });
    }

    /// <summary>
    /// Out of place index-add: a copy of <paramref name="target"/> where slice j of <paramref name="source"/> along
    /// <paramref name="axis"/> is added at position indices[j]. Repeated indices accumulate.
    /// </summary>
    /// <remarks>Differentiable in both tensors: target receives the output gradient, source its slices at the indices.</remarks>
    /// <param name="target">The tensor added into, rank ≥ 1.</param>
    /// <param name="axis">The axis the indices refer to; negative values count from the end.</param>
    /// <param name="indices">Destination position along the axis of each source slice, each in [0, target.Dim(axis)).</param>
    /// <param name="source">Target's shape except Dim(axis) = indices.Length.</param>
    /// <exception cref="ArgumentException">The source shape does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public static Tensor ScatterAdd(Tensor target, int axis, int[] indices, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(source);
        int a = LineAxis(target, axis, "ScatterAdd");
        var (outer, n, inner) = SplitAxis(target.Dims, a);
        var expected = (int[])target.Dims.Clone();
        expected[a] = indices.Length;
        if (!ShapeUtil.SameShape(source.Dims, expected))
        {
            throw new ArgumentException($"ScatterAdd: source has shape {ShapeUtil.Format(source.Dims)} but {ShapeUtil.Format(expected)} was expected (the target's shape {ShapeUtil.Format(target.Dims)} with {indices.Length} entries along axis {axis}).", nameof(source));
        }
        CheckIndices(indices, n, nameof(indices), "ScatterAdd");
        var data = target.ToArray();
        AddBlocks(data, outer, n, inner, indices, source.ReadOnlySpan);
        var dims = (int[])target.Dims.Clone();
        return Tensor.Record(data, dims, "ScatterAdd", [target, source], g =>
        {
            target.AccumulateGrad(g);
            if (source.RequiresGrad)
            {
                source.AccumulateGrad(new Tensor(SelectBlocks(g.ReadOnlySpan, outer, n, inner, indices), expected));
            }
        });
    }

    private static Tensor[] CheckList(IReadOnlyList<Tensor> xs, string op)
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Count == 0)
        {
            throw new ArgumentException($"{op} needs at least one tensor.", nameof(xs));
        }
        var inputs = new Tensor[xs.Count];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = xs[i] ?? throw new ArgumentException($"{op}: tensor {i} is null.", nameof(xs));
        }
        return inputs;
    }

    private static void CheckIndices(int[] indices, int length, string paramName, string op)
    {
        for (int j = 0; j < indices.Length; j++)
        {
            if ((uint)indices[j] >= (uint)length)
            {
                throw new ArgumentOutOfRangeException(paramName, indices[j], $"{op}: {paramName}[{j}] = {indices[j]} is outside [0, {length}).");
            }
        }
    }

    /// <summary>
    /// Concatenates, for each of <paramref name="outer"/> leading positions, block t (length blocks[t]) of every input;
    /// the backward hands each input back its blocks of the gradient.
    /// </summary>
    private static Tensor JoinBlocks(Tensor[] inputs, int outer, int[] blocks, int[] dims, string name)
    {
        int total = 0;
        foreach (int b in blocks)
        {
            total += b;
        }
        var data = TensorBuffers.Uninitialized(outer * total);
        for (int o = 0, off = 0; o < outer; o++)
        {
            for (int t = 0; t < inputs.Length; t++)
            {
                inputs[t].ReadOnlySpan.Slice(o * blocks[t], blocks[t]).CopyTo(data.AsSpan(off));
                off += blocks[t];
            }
        }
        return Tensor.Record(data, dims, name, inputs, g =>
        {
            var gs = g.ReadOnlySpan;
            for (int t = 0, start = 0; t < inputs.Length; start += blocks[t], t++)
            {
                var x = inputs[t];
                if (!x.RequiresGrad)
                {
                    continue;
                }
                var dx = TensorBuffers.Uninitialized(x.Size);
                for (int o = 0; o < outer; o++)
                {
                    gs.Slice((o * total) + start, blocks[t]).CopyTo(dx.AsSpan(o * blocks[t]));
                }
                x.AccumulateGrad(new Tensor(dx, (int[])x.Dims.Clone()));
            }
        });
    }

    /// <summary>Copies the [outer, n, inner] source's slices at <paramref name="indices"/> into a new [outer, k, inner] array.</summary>
    private static float[] SelectBlocks(ReadOnlySpan<float> src, int outer, int n, int inner, int[] indices)
    {
        int k = indices.Length;
        var data = TensorBuffers.Uninitialized(outer * k * inner);
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < k; j++)
            {
                int from = ((o * n) + indices[j]) * inner, to = ((o * k) + j) * inner;
                if (inner == 1)
                {
                    data[to] = src[from];
                }
                else
                {
                    src.Slice(from, inner).CopyTo(data.AsSpan(to, inner));
                }
            }
        }
        return data;
    }

    /// <summary>Adds each [outer, k, inner] source slice j into the [outer, n, inner] destination at indices[j].</summary>
    private static void AddBlocks(Span<float> dst, int outer, int n, int inner, int[] indices, ReadOnlySpan<float> src)
    {
        int k = indices.Length;
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < k; j++)
            {
                int to = ((o * n) + indices[j]) * inner, from = ((o * k) + j) * inner;
                if (inner == 1)
                {
                    dst[to] += src[from];
                }
                else
                {
                    var d = dst.Slice(to, inner);
                    TensorPrimitives.Add(d, src.Slice(from, inner), d);
                }
            }
        }
    }
}

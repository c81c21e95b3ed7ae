namespace DeepMetric.Tensors;

// Masks: comparisons and logic returning float 0/1 tensors with no gradient, and the differentiable Where.
public static partial class Ops
{
    /// <summary>Mask of <c>a == b</c> with broadcasting: 1 where equal, else 0. No gradient; NaN equals nothing.</summary>
    public static Tensor Eq(Tensor a, Tensor b) => CompareOp<CompareKernels.Eq>(a, b, "Eq");

    /// <summary>Mask of <c>a != b</c> with broadcasting. No gradient; NaN differs from everything.</summary>
    public static Tensor Ne(Tensor a, Tensor b) => CompareOp<CompareKernels.Ne>(a, b, "Ne");

    /// <summary>Mask of <c>a &gt; b</c> with broadcasting. No gradient.</summary>
    public static Tensor Gt(Tensor a, Tensor b) => CompareOp<CompareKernels.Gt>(a, b, "Gt");

    /// <summary>Mask of <c>a ≥ b</c> with broadcasting. No gradient.</summary>
    public static Tensor Ge(Tensor a, Tensor b) => CompareOp<CompareKernels.Ge>(a, b, "Ge");

    /// <summary>Mask of <c>a &lt; b</c> with broadcasting. No gradient.</summary>
    public static Tensor Lt(Tensor a, Tensor b) => CompareOp<CompareKernels.Lt>(a, b, "Lt");

    /// <summary>Mask of <c>a ≤ b</c> with broadcasting. No gradient.</summary>
    public static Tensor Le(Tensor a, Tensor b) => CompareOp<CompareKernels.Le>(a, b, "Le");

    /// <summary>Mask of <c>x == c</c>. No gradient.</summary>
    public static Tensor Eq(Tensor x, float c) => CompareOp<CompareKernels.Eq>(x, c);

    /// <summary>Mask of <c>x != c</c>. No gradient.</summary>
    public static Tensor Ne(Tensor x, float c) => CompareOp<CompareKernels.Ne>(x, c);

    /// <summary>Mask of <c>x &gt; c</c>. No gradient.</summary>
    public static Tensor Gt(Tensor x, float c) => CompareOp<CompareKernels.Gt>(x, c);

    /// <summary>Mask of <c>x ≥ c</c>. No gradient.</summary>
    public static Tensor Ge(Tensor x, float c) => CompareOp<CompareKernels.Ge>(x, c);

    /// <summary>Mask of <c>x &lt; c</c>. No gradient.</summary>
    public static Tensor Lt(Tensor x, float c) => CompareOp<CompareKernels.Lt>(x, c);

    /// <summary>Mask of <c>x ≤ c</c>. No gradient.</summary>
    public static Tensor Le(Tensor x, float c) => CompareOp<CompareKernels.Le>(x, c);

    /// <summary>1 where both masks are non-zero, with broadcasting. No gradient.</summary>
    public static Tensor LogicalAnd(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Broadcast.Map(a, b, static (x, y) => x != 0 && y != 0 ? 1f : 0f, "LogicalAnd");
    }

    /// <summary>1 where either mask is non-zero, with broadcasting. No gradient.</summary>
    public static Tensor LogicalOr(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Broadcast.Map(a, b, static (x, y) => x != 0 || y != 0 ? 1f : 0f, "LogicalOr");
    }

    /// <summary>1 where the mask is zero, 0 elsewhere. No gradient.</summary>
    public static Tensor LogicalNot(Tensor mask) => CompareOp<CompareKernels.Eq>(mask, 0f);

    /// <summary>
    /// Elementwise choice with broadcasting of all three operands: <paramref name="a"/> where <paramref name="mask"/> is
    /// non-zero (NaN counts as non-zero), <paramref name="b"/> elsewhere. The gradient goes to a where the mask is
    /// non-zero and to b elsewhere; the mask gets none.
    /// </summary>
    public static Tensor Where(Tensor mask, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outDims = ShapeUtil.Broadcast(ShapeUtil.Broadcast(mask.Dims, a.Dims, "Where"), b.Dims, "Where");
        int size = ShapeUtil.Product(outDims);
        var m = ExpandTo(mask, outDims);
        var av = ExpandTo(a, outDims);
        var bv = ExpandTo(b, outDims);
        var data = TensorBuffers.Uninitialized(size);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = m[i] != 0 ? av[i] : bv[i];
        }
        return Tensor.Record(data, outDims, "Where", [a, b], g =>
        {
            var keep = ExpandTo(mask, outDims);
            var gs = g.ReadOnlySpan;
            if (a.RequiresGrad)
            {
                var ga = TensorBuffers.Uninitialized(size);
                for (int i = 0; i < ga.Length; i++)
                {
                    ga[i] = keep[i] != 0 ? gs[i] : 0f;
                }
                a.AccumulateGrad(Broadcast.SumTo(new Tensor(ga, outDims), a.Dims));
            }
            if (b.RequiresGrad)
            {
                var gb = TensorBuffers.Uninitialized(size);
                for (int i = 0; i < gb.Length; i++)
                {
                    gb[i] = keep[i] != 0 ? 0f : gs[i];
                }
                b.AccumulateGrad(Broadcast.SumTo(new Tensor(gb, outDims), b.Dims));
            }
        });
    }

    private static Tensor CompareOp<TCompare>(Tensor a, Tensor b, string name)
        where TCompare : IComparison
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Broadcast.Apply<CompareKernels.Kernel<TCompare>>(a, b, name);
    }

    private static Tensor CompareOp<TCompare>(Tensor x, float c)
        where TCompare : IComparison
    {
        ArgumentNullException.ThrowIfNull(x);
        var d = TensorBuffers.Uninitialized(x.Size);
        CompareKernels.Kernel<TCompare>.Run(x.ReadOnlySpan, c, d);
        return new Tensor(d, (int[])x.Dims.Clone());
    }

    /// <summary>The elements of <paramref name="t"/> broadcast to <paramref name="outDims"/> (its own storage when the shape already matches).</summary>
    private static ReadOnlySpan<float> ExpandTo(Tensor t, int[] outDims)
    {
        if (ShapeUtil.SameShape(t.Dims, outDims))
        {
            return t.ReadOnlySpan;
        }
        int size = ShapeUtil.Product(outDims);
        if (size == 0)
        {
            return [];
        }
        var r = TensorBuffers.Uninitialized(size);
        var src = t.ReadOnlySpan;
        if (t.Size == 1)
        {
            r.AsSpan().Fill(src[0]);
            return r;
        }
        int rank = outDims.Length;
        int inner = outDims[^1];
        var st = ShapeUtil.BroadcastStrides(t.Dims, outDims);
        bool rowCopy = st[^1] != 0;
        Span<int> idx = stackalloc int[rank];
        idx.Clear();
        int off = 0;
        for (int start = 0; start < size; start += inner)
        {
            var dst = r.AsSpan(start, inner);
            if (rowCopy)
            {
                src.Slice(off, inner).CopyTo(dst);
            }
            else
            {
                dst.Fill(src[off]);
            }
            for (int ax = rank - 2; ax >= 0; ax--)
            {
                idx[ax]++;
                off += st[ax];
                if (idx[ax] < outDims[ax])
                {
                    break;
                }
                off -= st[ax] * outDims[ax];
                idx[ax] = 0;
            }
        }
        return r;
    }
}

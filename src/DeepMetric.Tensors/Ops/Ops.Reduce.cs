using System.Numerics.Tensors;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>Sum of all elements (a scalar tensor). Accumulated in double precision.</summary>
    public static Tensor Sum(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        double s = SumDouble(x.ReadOnlySpan);
        var dims = (int[])x.Dims.Clone();
        return Tensor.Record([(float)s], [], "Sum", x, g => x.AccumulateGrad(Tensor.Full(g.Item(), dims)));
    }

    /// <summary>Mean of all elements (a scalar); 0 for an empty tensor.</summary>
    public static Tensor Mean(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.Size == 0 ? Mul(Sum(x), 0f) : Mul(Sum(x), 1f / x.Size);
    }

    /// <summary>
    /// Sum over <paramref name="axis"/>. With a <paramref name="mask"/> (same shape as x, non-zero = keep)
    /// masked entries are excluded from the value and receive no gradient.
    /// </summary>
    public static Tensor Sum(Tensor x, int axis, bool keepDim = false, Tensor? mask = null) =>
        ReduceAxis(x, axis, keepDim, mask, ReduceKind.Sum, 0f);

    /// <summary>Mean over <paramref name="axis"/> of the kept entries; rows with none kept give 0 and no gradient.</summary>
    public static Tensor Mean(Tensor x, int axis, bool keepDim = false, Tensor? mask = null) =>
        ReduceAxis(x, axis, keepDim, mask, ReduceKind.Mean, 0f);

    /// <summary>Maximum over <paramref name="axis"/>; the gradient goes to the first maximal kept entry. Rows with nothing kept give <paramref name="emptyValue"/>.</summary>
    public static Tensor Max(Tensor x, int axis, bool keepDim = false, Tensor? mask = null, float emptyValue = 0f) =>
        ReduceAxis(x, axis, keepDim, mask, ReduceKind.Max, emptyValue);

    /// <summary>Minimum over <paramref name="axis"/>; the gradient goes to the first minimal kept entry. Rows with nothing kept give <paramref name="emptyValue"/>.</summary>
    public static Tensor Min(Tensor x, int axis, bool keepDim = false, Tensor? mask = null, float emptyValue = 0f) =>
        ReduceAxis(x, axis, keepDim, mask, ReduceKind.Min, emptyValue);

    /// <summary>
    /// log Σ exp(x) over <paramref name="axis"/>, stabilised by max subtraction. With <paramref name="includeZero"/>
    /// an implicit extra term e⁰ = 1 joins each row, giving log(1 + Σ eˣ) as many metric losses need.
    /// Rows with nothing kept give −∞ (or 0 with includeZero) and a zero gradient.
    /// </summary>
    public static Tensor LogSumExp(Tensor x, int axis, bool keepDim = false, Tensor? mask = null, bool includeZero = false) =>
        ReduceAxis(x, axis, keepDim, mask, includeZero ? ReduceKind.LogSumExpWithZero : ReduceKind.LogSumExp, float.NegativeInfinity);

    private enum ReduceKind
    {
        Sum,
        Mean,
        Max,
        Min,
        LogSumExp,
        LogSumExpWithZero,
    }

    private static Tensor ReduceAxis(Tensor x, int axis, bool keepDim, Tensor? mask, ReduceKind kind, float emptyValue)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0)
        {
            throw new ArgumentException("Cannot reduce over an axis of a scalar tensor.", nameof(x));
        }
        int a = ShapeUtil.NormalizeAxis(axis, x.Rank, nameof(axis));
        var m = PrepareMask(mask, x);
        if (a != x.Rank - 1)
        {
            // Reduce the last axis of a copy with the axis moved there; autograd handles the permutation.
            var perm = MoveToLast(x.Rank, a);
            var xp = Permute(x, perm);
            Tensor? mp = null;
            if (m is not null)
            {
                using (Tensor.NoGrad())
                {
                    mp = Permute(m, perm);
                }
            }
            var r = ReduceLast(xp, mp, kind, emptyValue);
            return Reshape(r, ShapeUtil.RemoveAxis(x.Dims, a, keepDim));
        }
        var res = ReduceLast(x, m, kind, emptyValue);
        return keepDim ? Reshape(res, ShapeUtil.RemoveAxis(x.Dims, a, true)) : res;
    }

    private static int[] MoveToLast(int rank, int axis)
    {
        var perm = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++)
        {
            if (i != axis)
            {
                perm[k++] = i;
            }
        }
        perm[rank - 1] = axis;
        return perm;
    }

    /// <summary>Returns the mask expanded to x's shape, checking it broadcasts.</summary>
    private static Tensor? PrepareMask(Tensor? mask, Tensor x)
    {
        if (mask is null)
        {
            return null;
        }
        if (ShapeUtil.SameShape(mask.Dims, x.Dims))
        {
            return mask.Detach();
        }
        var outDims = ShapeUtil.Broadcast(mask.Dims, x.Dims, "mask");
        if (!ShapeUtil.SameShape(outDims, x.Dims))
        {
            throw new ArgumentException($"The mask of shape {ShapeUtil.Format(mask.Dims)} does not broadcast to the input shape {ShapeUtil.Format(x.Dims)}.", nameof(mask));
        }
        return Broadcast.Apply<BinaryKernels.Mul>(mask.Detach(), Tensor.Ones(x.Dims), "mask");
    }

    private static Tensor ReduceLast(Tensor x, Tensor? mask, ReduceKind kind, float emptyValue)
    {
        int n = x.Dims[^1];
        int rows = n == 0 ? ShapeUtil.ProductRange(x.Dims, 0, x.Rank - 1) : x.Size / n;
        var outDims = ShapeUtil.RemoveAxis(x.Dims, x.Rank - 1, keepDim: false);
        var y = TensorBuffers.Zeroed(rows);
        var xs = x.ReadOnlySpan;
        ReadOnlySpan<float> ms = mask is null ? default : mask.ReadOnlySpan;
        int[]? argIdx = kind is ReduceKind.Max or ReduceKind.Min ? new int[rows] : null;
        float[]? counts = kind == ReduceKind.Mean ? TensorBuffers.Zeroed(rows) : null;
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * n, n);
            var mrow = mask is null ? default : ms.Slice(r * n, n);
            switch (kind)
            {
                case ReduceKind.Sum:
                    y[r] = mask is null ? TensorPrimitives.Sum(row) : MaskedSum(row, mrow);
                    break;
                case ReduceKind.Mean:
                {
                    float c = mask is null ? n : CountKept(mrow);
                    counts![r] = c;
                    y[r] = c == 0 ? 0f : (mask is null ? TensorPrimitives.Sum(row) : MaskedSum(row, mrow)) / c;
                    break;
                }
                case ReduceKind.Max:
                case ReduceKind.Min:
                {
                    int best = -1;
                    for (int j = 0; j < n; j++)
                    {
                        if (mask is not null && mrow[j] == 0)
                        {
                            continue;
                        }
                        if (best < 0 || (kind == ReduceKind.Max ? row[j] > row[best] : row[j] < row[best]) || (float.IsNaN(row[j]) && !float.IsNaN(row[best])))
                        {
                            best = j;
                        }
                    }
                    argIdx![r] = best;
                    y[r] = best < 0 ? emptyValue : row[best];
                    break;
                }
                default:
                    y[r] = RowLogSumExp(row, mrow, mask is not null, kind == ReduceKind.LogSumExpWithZero);
                    break;
            }
        }
        var maskCopy = mask;
        return Tensor.Record(y, outDims, kind.ToString(), x, g =>
        {
            var gx = TensorBuffers.Zeroed(x.Size);
            var gs = g.ReadOnlySpan;
            var xv = x.ReadOnlySpan;
            ReadOnlySpan<float> mv = maskCopy is null ? default : maskCopy.ReadOnlySpan;
            for (int r = 0; r < rows; r++)
            {
                var dst = gx.AsSpan(r * n, n);
                float gr = gs[r];
                switch (kind)
                {
                    case ReduceKind.Sum:
                    case ReduceKind.Mean:
                    {
                        float scale = kind == ReduceKind.Sum ? gr : counts![r] == 0 ? 0f : gr / counts[r];
                        if (maskCopy is null)
                        {
                            dst.Fill(scale);
                        }
                        else
                        {
                            for (int j = 0; j < n; j++)
                            {
                                dst[j] = mv[(r * n) + j] != 0 ? scale : 0f;
                            }
                        }
                        break;
                    }
                    case ReduceKind.Max:
                    case ReduceKind.Min:
                        if (argIdx![r] >= 0)
                        {
                            dst[argIdx[r]] = gr;
                        }
                        break;
                    default:
                    {
                        float lse = y[r];
                        if (float.IsNegativeInfinity(lse) || float.IsNaN(lse))
                        {
                            break;
                        }
                        for (int j = 0; j < n; j++)
                        {
                            bool kept = maskCopy is null || mv[(r * n) + j] != 0;
                            dst[j] = kept ? gr * MathF.Exp(xv[(r * n) + j] - lse) : 0f;
                        }
                        break;
                    }
                }
            }
            x.AccumulateGrad(new Tensor(gx, (int[])x.Dims.Clone()));
        });
    }

    private static float RowLogSumExp(ReadOnlySpan<float> row, ReadOnlySpan<float> mrow, bool masked, bool includeZero)
    {
        float mx = includeZero ? 0f : float.NegativeInfinity;
        bool any = includeZero;
        for (int j = 0; j < row.Length; j++)
        {
            if (masked && mrow[j] == 0)
            {
                continue;
            }
            any = true;
            if (row[j] > mx || float.IsNaN(row[j]))
            {
                mx = row[j];
            }
        }
        if (!any || float.IsNegativeInfinity(mx))
        {
            return float.NegativeInfinity;
        }
        if (float.IsNaN(mx) || float.IsPositiveInfinity(mx))
        {
            return mx;
        }
        double s = includeZero ? Math.Exp(-mx) : 0.0;
        for (int j = 0; j < row.Length; j++)
        {
            if (masked && mrow[j] == 0)
            {
                continue;
            }
            s += Math.Exp(row[j] - mx);
        }
        return (float)(mx + Math.Log(s));
    }

    private static float MaskedSum(ReadOnlySpan<float> row, ReadOnlySpan<float> mrow)
    {
        double s = 0;
        for (int j = 0; j < row.Length; j++)
        {
            if (mrow[j] != 0)
            {
                s += row[j];
            }
        }
        return (float)s;
    }

    private static float CountKept(ReadOnlySpan<float> mrow)
    {
        int c = 0;
        foreach (float v in mrow)
        {
            if (v != 0)
            {
                c++;
            }
        }
        return c;
    }

    private static double SumDouble(ReadOnlySpan<float> s)
    {
        // Blocked: SIMD float sums over short blocks, accumulated in double, to bound rounding error.
        const int Block = 256;
        double total = 0;
        for (int i = 0; i < s.Length; i += Block)
        {
            total += TensorPrimitives.Sum(s.Slice(i, Math.Min(Block, s.Length - i)));
        }
        return total;
    }
}

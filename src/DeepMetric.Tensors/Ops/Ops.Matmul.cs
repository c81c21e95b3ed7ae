using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Matrix product. Shapes: [m,k]·[k,n] → [m,n]; batched [B,m,k]·[B,k,n] → [B,m,n];
    /// and [B,m,k]·[k,n] → [B,m,n] (the right operand shared by the batch).
    /// </summary>
    public static Tensor Matmul(Tensor a, Tensor b) => Matmul(a, b, transA: false, transB: false);

    /// <summary>
    /// Matrix product with optional transposition of either operand, without materialising the transpose:
    /// <c>op(a)·op(b)</c> where op transposes the last two dimensions when its flag is set.
    /// </summary>
    public static Tensor Matmul(Tensor a, Tensor b, bool transA, bool transB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank is < 2 or > 3 || b.Rank is < 2 or > 3 || (a.Rank == 2 && b.Rank == 3))
        {
            throw new ArgumentException($"Matmul supports [m,k]·[k,n], [B,m,k]·[B,k,n] and [B,m,k]·[k,n]; got {ShapeUtil.Format(a.Dims)} and {ShapeUtil.Format(b.Dims)}.");
        }
        int batch = a.Rank == 3 ? a.Dims[0] : 1;
        int ar = a.Dims[^2], ac = a.Dims[^1], br = b.Dims[^2], bc = b.Dims[^1];
        int m = transA ? ac : ar, k = transA ? ar : ac;
        int kb = transB ? bc : br, n = transB ? br : bc;
        if (k != kb || (b.Rank == 3 && b.Dims[0] != batch))
        {
            throw new ArgumentException($"Matmul: shapes {ShapeUtil.Format(a.Dims)}{(transA ? "ᵀ" : "")} and {ShapeUtil.Format(b.Dims)}{(transB ? "ᵀ" : "")} do not align (inner dimensions {k} and {kb}).");
        }
        bool sharedB = b.Rank == 2;
        int aStride = ar * ac, bStride = sharedB ? 0 : br * bc, cStride = m * n;
        var c = TensorBuffers.Uninitialized(batch * cStride);
        if (sharedB && !transA && batch > 1)
        {
            // [B,m,k]·[k,n] is one [B·m,k]·[k,n] product.
            Gemm.Multiply(false, transB, batch * m, n, k, 1f, a.ReadOnlySpan, ac, b.ReadOnlySpan, bc, 0f, c, n);
        }
        else
        {
            for (int i = 0; i < batch; i++)
            {
                Gemm.Multiply(transA, transB, m, n, k, 1f, a.ReadOnlySpan.Slice(i * aStride, aStride), ac,
                    b.ReadOnlySpan.Slice(i * bStride, br * bc), bc, 0f, c.AsSpan(i * cStride, cStride), n);
            }
        }
        int[] dims = a.Rank == 3 ? [batch, m, n] : [m, n];
        return Tensor.Record(c, dims, "Matmul", [a, b], g =>
        {
            var gs = g.ReadOnlySpan;
            if (a.RequiresGrad)
            {
                // dA = G·op(B)ᵀ (or its transpose when A was transposed).
                var ga = TensorBuffers.Uninitialized(a.Size);
                if (sharedB && !transA && batch > 1)
                {
                    Gemm.Multiply(false, !transB, batch * m, k, n, 1f, gs, n, b.ReadOnlySpan, bc, 0f, ga, ac);
                }
                else
                {
                    for (int i = 0; i < batch; i++)
                    {
                        var gi = gs.Slice(i * cStride, cStride);
                        var bi = b.ReadOnlySpan.Slice(i * bStride, br * bc);
                        var dst = ga.AsSpan(i * aStride, aStride);
                        if (!transA)
                        {
                            Gemm.Multiply(false, !transB, m, k, n, 1f, gi, n, bi, bc, 0f, dst, ac);
                        }
                        else
                        {
                            // A stored k×m: dA = op(B)·Gᵀ
                            Gemm.Multiply(transB, true, k, m, n, 1f, bi, bc, gi, n, 0f, dst, ac);
                        }
                    }
                }
                a.AccumulateGrad(new Tensor(ga, (int[])a.Dims.Clone()));
            }
            if (b.RequiresGrad)
            {
                var gb = TensorBuffers.Zeroed(b.Size);
                for (int i = 0; i < batch; i++)
                {
                    var gi = gs.Slice(i * cStride, cStride);
                    var ai = a.ReadOnlySpan.Slice(i * aStride, aStride);
                    var dst = gb.AsSpan(i * bStride, br * bc);
                    float beta = sharedB && i > 0 ? 1f : 0f;
                    if (!transB)
                    {
                        // dB (k×n) = op(A)ᵀ·G
                        Gemm.Multiply(!transA, false, k, n, m, 1f, ai, ac, gi, n, beta, dst, bc);
                    }
                    else
                    {
                        // B stored n×k: dB = Gᵀ·op(A)
                        Gemm.Multiply(true, transA, n, k, m, 1f, gi, n, ai, ac, beta, dst, bc);
                    }
                }
                b.AccumulateGrad(new Tensor(gb, (int[])b.Dims.Clone()));
            }
        });
    }

    // Input and weight gradients of at least this many multiply-adds each run side by side on the two workers.
    private const long PairedLinearMacs = 1L << 21;

    // A product whose depth is at least this many times its larger output side is split along the depth.
    private const int DepthSplitRatio = 8;

    /// <summary>Affine map <c>x·Wᵀ + b</c> with W of shape [out, in] (PyTorch's layout); x is [N, in].</summary>
    /// <remarks>
    /// One fused node: the bias is written into the output first and the product accumulated onto it (β = 1), so no
    /// separate broadcast-add pass or intermediate tensor is needed; the backward gives dx = G·W, dW = Gᵀ·x and
    /// db = column sums of G. A deep, narrow product (depth ≥ 8× the larger output side) is split along its depth
    /// into two halves, one per worker, added in a fixed order (the same with one worker or two); the two gradient
    /// products of a large layer run side by side.
    /// </remarks>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (x.Rank != 2 || weight.Rank != 2 || x.Dims[1] != weight.Dims[1])
        {
            throw new ArgumentException($"Linear: input {ShapeUtil.Format(x.Dims)} and weight {ShapeUtil.Format(weight.Dims)} do not match (expected [N, in] and [out, in]).");
        }
        int n = x.Dims[0], k = x.Dims[1], o = weight.Dims[0];
        if (bias is not null && (bias.Rank != 1 || bias.Dims[0] != o))
        {
            throw new ArgumentException($"Linear: bias must be [{o}], got {ShapeUtil.Format(bias.Dims)}.", nameof(bias));
        }
        var y = TensorBuffers.Uninitialized(n * o);
        float beta = 0f;
        if (bias is not null)
        {
            var b = bias.ReadOnlySpan;
            for (int i = 0; i < n; i++)
            {
                b.CopyTo(y.AsSpan(i * o, o));
            }
            beta = 1f;
        }
        if ((long)n * o * k >= PairedLinearMacs && k >= DepthSplitRatio * Math.Max(n, o))
        {
            // Deep and narrow (the first layer after a flattened feature map): each worker multiplies half the depth,
            // so each packs half of x and W instead of one of them whole; the halves are added in a fixed order.
            int k1 = k / 2 / 16 * 16;
            var part = TensorBuffers.Uninitialized(n * o);
            KernelThreads.Pair(
                () => Gemm.Multiply(false, true, n, o, k1, 1f, x.ReadOnlySpan, k, weight.ReadOnlySpan, k, beta, y, o),
                () => Gemm.Multiply(false, true, n, o, k - k1, 1f, x.ReadOnlySpan[k1..], k, weight.ReadOnlySpan[k1..], k, 0f, part, o));
            System.Numerics.Tensors.TensorPrimitives.Add(y, part, y);
        }
        else
        {
            Gemm.Multiply(false, true, n, o, k, 1f, x.ReadOnlySpan, k, weight.ReadOnlySpan, k, beta, y, o);
        }
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tensor.Record(y, [n, o], "Linear", inputs, g =>
        {
            var gs = g.ReadOnlySpan;
            var dx = x.RequiresGrad ? TensorBuffers.Uninitialized(n * k) : null;
            var dw = weight.RequiresGrad ? TensorBuffers.Uninitialized(o * k) : null;
            if (dx is not null && dw is not null && (long)n * k * o >= PairedLinearMacs)
            {
                // Two independent products of one size: one per worker, each whole (no split, no second hand-off).
                KernelThreads.Pair(
                    () => Gemm.Multiply(false, false, n, k, o, 1f, g.ReadOnlySpan, o, weight.ReadOnlySpan, k, 0f, dx, k),
                    () => Gemm.Multiply(true, false, o, k, n, 1f, g.ReadOnlySpan, o, x.ReadOnlySpan, k, 0f, dw, k));
            }
            else
            {
                if (dx is not null)
                {
                    Gemm.Multiply(false, false, n, k, o, 1f, gs, o, weight.ReadOnlySpan, k, 0f, dx, k);
                }
                if (dw is not null)
                {
                    Gemm.Multiply(true, false, o, k, n, 1f, gs, o, x.ReadOnlySpan, k, 0f, dw, k);
                }
            }
            if (dx is not null)
            {
                x.AccumulateGrad(new Tensor(dx, [n, k]));
            }
            if (dw is not null)
            {
                weight.AccumulateGrad(new Tensor(dw, [o, k]));
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = new double[o];
                for (int i = 0; i < n; i++)
                {
                    var row = gs.Slice(i * o, o);
                    for (int j = 0; j < o; j++)
                    {
                        db[j] += row[j];
                    }
                }
                var dbf = TensorBuffers.Uninitialized(o);
                for (int j = 0; j < o; j++)
                {
                    dbf[j] = (float)db[j];
                }
                bias.AccumulateGrad(new Tensor(dbf, [o]));
            }
        });
    }
}

using System.Numerics.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

// Normalisation and classification ops that work line by line along one axis.
public static partial class Ops
{
    /// <summary>Softmax over <paramref name="axis"/>, stabilised by max subtraction; −∞ entries get probability 0.</summary>
    /// <remarks>
    /// Large logits (e.g. 1e4) do not overflow. A line whose entries are all −∞ has no defined distribution;
    /// it gives zeros and passes a zero gradient instead of NaN.
    /// </remarks>
    /// <param name="x">Input of any rank ≥ 1.</param>
    /// <param name="axis">The axis to normalise over; negative values count from the end.</param>
    public static Tensor Softmax(Tensor x, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = LineAxis(x, axis, "Softmax");
        var (outer, n, inner) = SplitAxis(x.Dims, a);
        var y = TensorBuffers.Uninitialized(x.Size);
        ForEachLine(outer, n, inner, x.ReadOnlySpan, default, y, static (_, xs, _, ys) => SoftmaxLine(xs, ys));
        var dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "Softmax", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(y.Length);
            ForEachLine(outer, n, inner, y, g.ReadOnlySpan, dx, static (_, ys, gs, dxs) =>
            {
                // dx = y ⊙ (g − ⟨g, y⟩); zero where y is 0, so −∞ entries and empty lines get no gradient.
                float dot = (float)DotDouble(gs, ys);
                TensorPrimitives.Subtract(gs, dot, dxs);
                TensorPrimitives.Multiply(dxs, ys, dxs);
            });
            x.AccumulateGrad(new Tensor(dx, dims));
        });
    }

    /// <summary>Log-softmax over <paramref name="axis"/> (x − logsumexp(x)).</summary>
    /// <remarks>
    /// −∞ entries give −∞ (log of probability 0). A line whose entries are all −∞ gives −∞ everywhere, consistent with
    /// <see cref="Softmax"/> giving zeros, and passes a zero gradient instead of NaN.
    /// </remarks>
    /// <param name="x">Input of any rank ≥ 1.</param>
    /// <param name="axis">The axis to normalise over; negative values count from the end.</param>
    public static Tensor LogSoftmax(Tensor x, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        int a = LineAxis(x, axis, "LogSoftmax");
        var (outer, n, inner) = SplitAxis(x.Dims, a);
        var y = TensorBuffers.Uninitialized(x.Size);
        var empty = new bool[outer * inner];
        ForEachLine(outer, n, inner, x.ReadOnlySpan, default, y, (line, xs, _, ys) => empty[line] = !LogSoftmaxLine(xs, ys));
        var dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "LogSoftmax", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(y.Length);
            ForEachLine(outer, n, inner, y, g.ReadOnlySpan, dx, (line, ys, gs, dxs) =>
            {
                if (empty[line])
                {
                    dxs.Clear();
                    return;
                }
                // dx = g − softmax · Σg, with softmax = exp(y).
                float sum = (float)SumDouble(gs);
                TensorPrimitives.Exp(ys, dxs);
                TensorPrimitives.MultiplyAdd(dxs, -sum, gs, dxs);
            });
            x.AccumulateGrad(new Tensor(dx, dims));
        });
    }

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [N, C] against class indices <paramref name="targets"/> (length N),
    /// with label smoothing ε (Szegedy et al., 2016, "Rethinking the Inception Architecture for Computer Vision"):
    /// the target distribution is q = (1−ε)·onehot + ε/C.
    /// </summary>
    /// <remarks>
    /// Forward and backward are fused: the loss is mean over rows of −Σ_c q_c·log softmax(x)_c, and the gradient of the
    /// logits is (softmax(x) − q)/N. An empty batch (N = 0) gives 0.
    /// </remarks>
    /// <param name="logits">Unnormalised class scores, shape [N, C].</param>
    /// <param name="targets">The class of each row, each in [0, C).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <exception cref="ArgumentException">The logits are not 2-D or the lengths disagree.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, C) or ε is outside [0, 1].</exception>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 2)
        {
            throw new ArgumentException($"CrossEntropy expects logits of shape [N, C], got {ShapeUtil.Format(logits.Dims)}.", nameof(logits));
        }
        int rows = logits.Dims[0], classes = logits.Dims[1];
        if (targets.Length != rows)
        {
            throw new ArgumentException($"CrossEntropy: {targets.Length} targets given for {rows} rows of logits (shape {ShapeUtil.Format(logits.Dims)}).", nameof(targets));
        }
        for (int i = 0; i < targets.Length; i++)
        {
            if ((uint)targets[i] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], $"CrossEntropy: targets[{i}] = {targets[i]} is not a class index in [0, {classes}).");
            }
        }
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "CrossEntropy: label smoothing must be in [0, 1].");
        }

        var xs = logits.ReadOnlySpan;
        var rowMax = TensorBuffers.Zeroed(rows);
        var rowLogSum = TensorBuffers.Zeroed(rows);
        var scratch = TensorBuffers.Zeroed(classes);
        double eps = labelSmoothing, onHot = 1.0 - labelSmoothing;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * classes, classes);
            float m = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, m, scratch);
            TensorPrimitives.Exp(scratch, scratch);
            double logSum = Math.Log(SumDouble(scratch));
            rowMax[r] = m;
            rowLogSum[r] = (float)logSum;
            // −log p_c = (m − x_c) + log Σ; the smoothed part needs Σ_c −log p_c = C·(m + log Σ) − Σ_c x_c.
            double nllTarget = m - (double)row[targets[r]] + logSum;
            double loss = onHot * nllTarget;
            if (eps > 0)
            {
                loss += eps / classes * ((classes * (m + logSum)) - SumDouble(row));
            }
            total += loss;
        }
        float value = rows == 0 ? 0f : (float)(total / rows);
        return Tensor.Record([value], [], "CrossEntropy", logits, g =>
        {
            var dx = TensorBuffers.Uninitialized(logits.Size);
            if (rows > 0)
            {
                float scale = g.Item() / rows;
                float smooth = labelSmoothing / classes;
                var x = logits.ReadOnlySpan;
                for (int r = 0; r < rows; r++)
                {
                    var d = dx.AsSpan(r * classes, classes);
                    TensorPrimitives.Subtract(x.Slice(r * classes, classes), rowMax[r], d);
                    TensorPrimitives.Subtract(d, rowLogSum[r], d);
                    TensorPrimitives.Exp(d, d);
                    TensorPrimitives.Subtract(d, smooth, d);
                    d[targets[r]] -= 1f - labelSmoothing;
                    TensorPrimitives.Multiply(d, scale, d);
                }
            }
            logits.AccumulateGrad(new Tensor(dx, (int[])logits.Dims.Clone()));
        });
    }

    /// <summary>x / max(‖x‖₂, eps) along <paramref name="axis"/>; finite gradient at x = 0.</summary>
    /// <remarks>
    /// Norms are accumulated in double precision. Where ‖x‖ ≤ eps (including x = 0) the op is the linear map x/eps,
    /// so the gradient there is g/eps: large but finite.
    /// </remarks>
    /// <param name="x">Input of any rank ≥ 1, e.g. embeddings [N, D].</param>
    /// <param name="axis">The axis holding the vectors; negative values count from the end.</param>
    /// <param name="eps">Lower bound on the divisor; must be positive and finite.</param>
    public static Tensor L2Normalize(Tensor x, int axis = -1, float eps = 1e-12f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(eps > 0f && float.IsFinite(eps)))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "L2Normalize: eps must be positive and finite.");
        }
        int a = LineAxis(x, axis, "L2Normalize");
        var (outer, n, inner) = SplitAxis(x.Dims, a);
        var y = TensorBuffers.Uninitialized(x.Size);
        var norms = TensorBuffers.Zeroed(outer * inner);
        ForEachLine(outer, n, inner, x.ReadOnlySpan, default, y, (line, xs, _, ys) =>
        {
            float norm = (float)Math.Sqrt(SumOfSquaresDouble(xs));
            norms[line] = norm;
            TensorPrimitives.Multiply(xs, 1f / Math.Max(norm, eps), ys);
        });
        var dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "L2Normalize", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(y.Length);
            ForEachLine(outer, n, inner, y, g.ReadOnlySpan, dx, (line, ys, gs, dxs) =>
            {
                float norm = norms[line];
                if (norm > eps)
                {
                    // d(x/‖x‖) = (I − y yᵀ)/‖x‖.
                    float dot = (float)DotDouble(ys, gs);
                    TensorPrimitives.MultiplyAdd(ys, -dot, gs, dxs);
                    TensorPrimitives.Multiply(dxs, 1f / norm, dxs);
                }
                else
                {
                    TensorPrimitives.Multiply(gs, 1f / eps, dxs);
                }
            });
            x.AccumulateGrad(new Tensor(dx, dims));
        });
    }

    private static int LineAxis(Tensor x, int axis, string op)
    {
        if (x.Rank == 0)
        {
            throw new ArgumentException($"{op} needs a tensor of rank ≥ 1, got a scalar.", nameof(x));
        }
        return ShapeUtil.NormalizeAxis(axis, x.Rank, nameof(axis));
    }

    /// <summary>Softmax of one line; a line with maximum −∞ (all −∞, or empty) becomes zeros.</summary>
    private static void SoftmaxLine(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.IsEmpty)
        {
            return;
        }
        float m = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(m))
        {
            y.Clear();
            return;
        }
        TensorPrimitives.Subtract(x, m, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Multiply(y, (float)(1.0 / SumDouble(y)), y);
    }

    /// <summary>Log-softmax of one line; returns false (and writes −∞) when every entry is −∞.</summary>
    private static bool LogSoftmaxLine(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.IsEmpty)
        {
            return true;
        }
        float m = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(m))
        {
            y.Fill(float.NegativeInfinity);
            return false;
        }
        TensorPrimitives.Subtract(x, m, y);
        TensorPrimitives.Exp(y, y);
        float logSum = (float)Math.Log(SumDouble(y));
        // (x − m) − log Σ rather than x − (m + log Σ): the latter loses digits when m is large.
        TensorPrimitives.Subtract(x, m, y);
        TensorPrimitives.Subtract(y, logSum, y);
        return true;
    }

    /// <summary>Σ x² in double over SIMD blocks, redone in a double loop where a float block overflows or underflows.</summary>
    private static double SumOfSquaresDouble(ReadOnlySpan<float> x)
    {
        const int Block = 256;
        double total = 0;
        for (int i = 0; i < x.Length; i += Block)
        {
            var block = x.Slice(i, Math.Min(Block, x.Length - i));
            float s = TensorPrimitives.SumOfSquares(block);
            if (float.IsPositiveInfinity(s) || s < 1e-20f)
            {
                double d = 0;
                foreach (float v in block)
                {
                    d += (double)v * v;
                }
                total += d;
            }
            else
            {
                total += s;
            }
        }
        return total;
    }
}

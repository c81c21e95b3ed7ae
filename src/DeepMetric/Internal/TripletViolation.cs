using System.Numerics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Internal;

/// <summary>
/// The per-triplet violation margin − Separation(d[a,p], d[a,n]) read straight from the distance matrix, optionally
/// through the hinge [·]₊, as one graph node: the same values as two <c>Gather2D</c>s, a <c>Sub</c>, an <c>RSub</c>
/// and a <c>Relu</c>, but one pass forward and one scatter into the matrix gradient backward (tens of thousands of
/// mined triplets per batch make the five element-wise passes and their buffers cost more than the mining).
/// </summary>
internal static class TripletViolation
{
    /// <summary>The violation of each triplet, [T].</summary>
    /// <param name="matrix">The N × M distance (or similarity) matrix.</param>
    /// <param name="triplets">Anchors index rows, positives and negatives columns.</param>
    /// <param name="margin">The margin.</param>
    /// <param name="inverted">True for similarities (separation s(a,p) − s(a,n)), false for distances (d(a,n) − d(a,p)).</param>
    /// <param name="hinge">Apply [·]₊ (its gradient at 0 is 0, as <see cref="Ops.Relu"/>).</param>
    public static Tensor Compute(Tensor matrix, TripletTuples triplets, float margin, bool inverted, bool hinge)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentNullException.ThrowIfNull(triplets);
        if (matrix.Rank != 2)
        {
            throw new ArgumentException($"The matrix must be 2-D; got rank {matrix.Rank}.", nameof(matrix));
        }
        int rows = matrix.Dim(0), cols = matrix.Dim(1), count = triplets.Count;
        int[] a = triplets.Anchors, p = triplets.Positives, n = triplets.Negatives;
        var d = matrix.ReadOnlySpan;
        var values = StepBuffers.Uninitialized(count);
        for (int t = 0; t < count; t++)
        {
            if ((uint)a[t] >= (uint)rows || (uint)p[t] >= (uint)cols || (uint)n[t] >= (uint)cols)
            {
                throw new ArgumentException($"Triplet {t} ({a[t]}, {p[t]}, {n[t]}) is outside the {rows} × {cols} matrix.", nameof(triplets));
            }
            int row = a[t] * cols;
            float ap = d[row + p[t]], an = d[row + n[t]];
            // Written as Distance.Separation and Ops.RSub compute it, so the values are bit-identical.
            float separation = inverted ? ap - an : an - ap;
            float v = margin - separation;
            values[t] = hinge ? Math.Max(v, 0f) : v;
        }
        return CustomOp.Create("TripletViolation", Tensor.WrapView(values, 0, [count]), [matrix], g =>
        {
            var gs = g.ReadOnlySpan;
            if (hinge)
            {
                // Zero the gradient where the hinge is flat, without branches (about half the mined triplets are
                // inside the loss margin, in no predictable order); the scatter below then adds zeros there.
                var masked = StepBuffers.Uninitialized(count);
                ZeroWhereNotPositive(values.AsSpan(0, count), gs, masked);
                gs = masked.AsSpan(0, count);
            }
            var dm = TensorScope.Allocate(rows * cols);
            // ∂v/∂d[a,p] = +1 and ∂v/∂d[a,n] = −1 for distances, the opposite for similarities.
            float sign = inverted ? -1f : 1f;
            // Mined triplets come in runs sharing (anchor, positive): sum a run's d[a,p] gradient before storing it.
            int runIndex = -1;
            float runSum = 0f;
            for (int t = 0; t < count; t++)
            {
                float gt = sign * gs[t];
                int row = a[t] * cols, index = row + p[t];
                if (index != runIndex)
                {
                    if (runIndex >= 0)
                    {
                        dm[runIndex] += runSum;
                    }
                    runIndex = index;
                    runSum = 0f;
                }
                runSum += gt;
                dm[row + n[t]] -= gt;
            }
            if (runIndex >= 0)
            {
                dm[runIndex] += runSum;
            }
            return [Tensor.Wrap(dm, rows, cols)];
        });
    }

    // masked[i] = g[i] where value[i] > 0, else 0 (the hinge's gradient, 0 at the kink as Ops.Relu).
    private static void ZeroWhereNotPositive(ReadOnlySpan<float> values, ReadOnlySpan<float> g, Span<float> masked)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<float>(values[i..]), Vector<float>.Zero);
                Vector.ConditionalSelect(positive, new Vector<float>(g[i..]), Vector<float>.Zero).CopyTo(masked[i..]);
            }
        }
        for (; i < values.Length; i++)
        {
            masked[i] = values[i] > 0f ? g[i] : 0f;
        }
    }
}

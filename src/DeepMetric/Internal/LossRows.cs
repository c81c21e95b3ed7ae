using DeepMetric.Distances;
using DeepMetric.Tensors;

namespace DeepMetric.Internal;

/// <summary>Small shared helpers of the matrix-form losses: direction handling and row selection by masks.</summary>
internal static class LossRows
{
    /// <summary>The matrix as a similarity (larger = closer): itself for similarities, negated for distances.</summary>
    public static Tensor AsSimilarity(Distance distance, Tensor matrix) => distance.IsInverted ? matrix : Ops.Neg(matrix);

    /// <summary>The matrix as a distance (smaller = closer): itself for distances, negated for similarities.</summary>
    public static Tensor AsDistance(Distance distance, Tensor matrix) => distance.IsInverted ? Ops.Neg(matrix) : matrix;

    /// <summary>Indices of the rows of an [N, M] mask that have at least one kept entry in every given mask.</summary>
    public static int[] RowsWithAll(Tensor first, Tensor? second = null)
    {
        int n = first.Dim(0), m = first.Dim(1);
        var a = first.ReadOnlySpan;
        var b = second is null ? default : second.ReadOnlySpan;
        var rows = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            if (AnyKept(a.Slice(i * m, m)) && (second is null || AnyKept(b.Slice(i * m, m))))
            {
                rows.Add(i);
            }
        }
        return [.. rows];
    }

    /// <summary>Rows <paramref name="rows"/> of a matrix (differentiable).</summary>
    public static Tensor Rows(Tensor x, int[] rows) => rows.Length == x.Dim(0) ? x : Ops.IndexSelect(x, 0, rows);

    /// <summary>Rows <paramref name="rows"/> of a constant mask.</summary>
    public static Tensor MaskRows(Tensor mask, int[] rows)
    {
        if (rows.Length == mask.Dim(0))
        {
            return mask;
        }
        using (Tensor.NoGrad())
        {
            return Ops.IndexSelect(mask, 0, rows);
        }
    }

    /// <summary>The element-wise sum of two masks, clipped to 1 (their union).</summary>
    public static Tensor Union(Tensor a, Tensor b)
    {
        using (Tensor.NoGrad())
        {
            return Ops.LogicalOr(a, b);
        }
    }

    /// <summary>
    /// The neighbourhood-component loss of each anchor with a positive, −log Σ_{p∈P(i)} softmax_{a∈A(i)}(logits)[p]
    /// = log Σ_A exp(logits) − log Σ_P exp(logits), with A(i) = P(i) ∪ N(i); returns the values and their anchors.
    /// </summary>
    public static (Tensor Values, int[] Anchors) NeighbourhoodLoss(Tensor logits, Tensor pos, Tensor neg)
    {
        var rows = RowsWithAll(pos);
        var z = Rows(logits, rows);
        var p = MaskRows(pos, rows);
        var all = Union(p, MaskRows(neg, rows));
        var values = Ops.Sub(Ops.LogSumExp(z, 1, mask: all), Ops.LogSumExp(z, 1, mask: p));
        return (values, rows);
    }

    /// <summary>
    /// log Σ exp over the kept entries of each row, and 0 for rows with nothing kept (PyTorch Metric Learning's
    /// masked logsumexp), with a zero gradient there.
    /// </summary>
    public static Tensor MaskedLogSumExpOrZero(Tensor x, Tensor mask)
    {
        var lse = Ops.LogSumExp(x, 1, mask: mask);
        var any = RowAny(mask);
        return Ops.Where(any, lse, Tensor.Zeros(any.Size));
    }

    /// <summary>1 for the rows of an [N, M] mask with a kept entry, else 0 ([N]).</summary>
    public static Tensor RowAny(Tensor mask)
    {
        int n = mask.Dim(0), m = mask.Dim(1);
        var a = mask.ReadOnlySpan;
        var any = new float[n];
        for (int i = 0; i < n; i++)
        {
            any[i] = AnyKept(a.Slice(i * m, m)) ? 1f : 0f;
        }
        return Tensor.FromArray(any, n);
    }

    /// <summary>
    /// PyTorch Metric Learning's pair losses give 0 when no tuple list has more than one entry (e.g. one positive
    /// pair and one negative pair); kept for parity.
    /// </summary>
    public static bool AtMostOneOfEach(PairTuples p) =>
        p.PosAnchors.Length <= 1 && p.Positives.Length <= 1 && p.NegAnchors.Length <= 1 && p.Negatives.Length <= 1;

    private static bool AnyKept(ReadOnlySpan<float> row)
    {
        foreach (float v in row)
        {
            if (v != 0)
            {
                return true;
            }
        }
        return false;
    }
}

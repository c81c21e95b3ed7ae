namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Constant padding of any rank: <paramref name="before"/>[i] entries of <paramref name="value"/> are put in front of
    /// axis i and <paramref name="after"/>[i] behind it. The gradient is the output gradient's interior window.
    /// </summary>
    /// <param name="x">Input of rank ≥ 1.</param>
    /// <param name="before">Non-negative padding in front of each axis (length = rank).</param>
    /// <param name="after">Non-negative padding behind each axis (length = rank).</param>
    /// <param name="value">The fill value (−∞ pads a max pool).</param>
    public static Tensor Pad(Tensor x, int[] before, int[] after, float value = 0f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        int rank = x.Rank;
        if (rank < 1 || before.Length != rank || after.Length != rank)
        {
            throw new ArgumentException($"Pad: needs one before and one after amount per axis of the input {ShapeUtil.Format(x.Dims)}, got {before.Length} and {after.Length}.", nameof(before));
        }
        var outDims = new int[rank];
        bool any = false;
        for (int i = 0; i < rank; i++)
        {
            if (before[i] < 0 || after[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(before), $"Pad: amounts must be ≥ 0, got before [{string.Join(", ", before)}] and after [{string.Join(", ", after)}].");
            }
            outDims[i] = x.Dims[i] + before[i] + after[i];
            any |= before[i] != 0 || after[i] != 0;
        }
        if (!any)
        {
            return x;
        }
        var y = TensorBuffers.Uninitialized(ShapeUtil.Product(outDims));
        y.AsSpan().Fill(value);
        var rowStarts = PadRowOffsets(x.Dims, outDims, before);
        int row = x.Dims[^1];
        var xs = x.ReadOnlySpan;
        for (int r = 0; r < rowStarts.Length; r++)
        {
            xs.Slice(r * row, row).CopyTo(y.AsSpan(rowStarts[r], row));
        }
        var inDims = (int[])x.Dims.Clone();
        return Tensor.Record(y, outDims, "Pad", x, g =>
        {
            var dx = TensorBuffers.Uninitialized(x.Size);
            var gs = g.ReadOnlySpan;
            for (int r = 0; r < rowStarts.Length; r++)
            {
                gs.Slice(rowStarts[r], row).CopyTo(dx.AsSpan(r * row, row));
            }
            x.AccumulateGrad(new Tensor(dx, inDims));
        });
    }

    /// <summary>The output offset of every input row (last-axis line) of a padded copy.</summary>
    private static int[] PadRowOffsets(int[] inDims, int[] outDims, int[] before)
    {
        int rank = inDims.Length, rows = 1;
        for (int i = 0; i < rank - 1; i++)
        {
            rows *= inDims[i];
        }
        var outStrides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            outStrides[i] = stride;
            stride *= outDims[i];
        }
        var offsets = new int[rows];
        var idx = new int[rank];
        for (int r = 0; r < rows; r++)
        {
            int off = before[rank - 1];
            for (int i = 0; i < rank - 1; i++)
            {
                off += (idx[i] + before[i]) * outStrides[i];
            }
            offsets[r] = off;
            for (int i = rank - 2; i >= 0; i--)
            {
                if (++idx[i] < inDims[i])
                {
                    break;
                }
                idx[i] = 0;
            }
        }
        return offsets;
    }
}

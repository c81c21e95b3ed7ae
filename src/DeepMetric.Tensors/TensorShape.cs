namespace DeepMetric.Tensors;

/// <summary>Helpers on tensor shapes given as dimension lists (row-major, last axis contiguous).</summary>
public static class TensorShape
{
    /// <summary>
    /// Row-major (C-order) strides of a contiguous tensor of shape <paramref name="dims"/>: the last axis has stride 1,
    /// each earlier axis the product of the sizes after it. A scalar shape (no dimensions) gives no strides.
    /// </summary>
    /// <param name="dims">The sizes of the axes.</param>
    /// <returns>One stride per axis, in elements.</returns>
    public static int[] Strides(ReadOnlySpan<int> dims)
    {
        var s = new int[dims.Length];
        int acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }
}

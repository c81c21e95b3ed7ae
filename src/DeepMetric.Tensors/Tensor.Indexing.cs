using System.Runtime.CompilerServices;

namespace DeepMetric.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// Differentiable gather of matrix elements at index pairs: element i of the 1-D result is
    /// this[rows[i], cols[i]]. Metric losses read pair distances this way, e.g. <c>d[a, p] - d[a, n]</c>.
    /// See <see cref="Ops.Gather2D"/>.
    /// </summary>
    /// <param name="rows">Row indices.</param>
    /// <param name="cols">Column indices, as many as <paramref name="rows"/>.</param>
    [IndexerName("Element")]
    public Tensor this[int[] rows, int[] cols] => Ops.Gather2D(this, rows, cols);
}

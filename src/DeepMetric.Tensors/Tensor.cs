using System.Globalization;
using System.Text;
using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Tensors;

/// <summary>
/// A dense float32 tensor with contiguous row-major storage and optional reverse-mode gradient tracking.
/// </summary>
/// <remarks>
/// Storage is a <see cref="float"/> array plus an offset, so reshapes and leading-axis slices are
/// zero-copy views. Every op that records a graph node does so only when gradients are enabled
/// (see <see cref="NoGrad"/>) and at least one input requires a gradient.
/// </remarks>
public sealed partial class Tensor
{
    internal float[] Buffer;
    internal int Offset;
    internal int[] Dims;
    private bool _requiresGrad;

    /// <summary>The graph node that produced this tensor, or null for leaves and untracked results.</summary>
    internal GradNode? Node;

    // Gradient flowing into this tensor during one Backward pass (intermediate tensors only).
    internal Tensor? PendingGrad;
    internal bool PendingOwned;

    // Storage of a gradient dropped by Optimizer.ZeroGrad(setToNone, reuseStorage: true): the next backward pass that
    // reaches this leaf copies its gradient here instead of allocating (a fresh large array per step costs page faults).
    internal float[]? RecycledGrad;

    internal Tensor(float[] buffer, int offset, int[] dims)
    {
        Buffer = buffer;
        Offset = offset;
        Dims = dims;
        Size = ShapeUtil.Product(dims);
        if (offset < 0 || offset + Size > buffer.Length)
        {
            throw new ArgumentException($"Storage of length {buffer.Length} cannot hold {Size} elements at offset {offset}.", nameof(buffer));
        }
    }

    internal Tensor(float[] buffer, int[] dims) : this(buffer, 0, dims) { }

    /// <summary>Total number of elements.</summary>
    public int Size { get; }

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => Dims.Length;

    /// <summary>A copy of the shape.</summary>
    public int[] Shape => (int[])Dims.Clone();

    /// <summary>The length of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => Dims[ShapeUtil.NormalizeAxis(axis, Rank, nameof(axis))];

    /// <summary>The elements as a span over the underlying storage (row-major).</summary>
    public Span<float> Span => Buffer.AsSpan(Offset, Size);

    /// <summary>The elements as a read-only span.</summary>
    public ReadOnlySpan<float> ReadOnlySpan => new(Buffer, Offset, Size);

    /// <summary>
    /// The elements as read-only memory over the underlying storage, without copying: what <see cref="ReadOnlySpan"/>
    /// gives, in a form that can be stored in a field or passed to code that keeps it (for example a miner's batch).
    /// It sees later in-place changes, and, for a tensor made inside a <see cref="TensorScope"/>, it is valid only until
    /// that scope is disposed.
    /// </summary>
    public ReadOnlyMemory<float> ReadOnlyMemory => new(Buffer, Offset, Size);

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward(Tensor?, bool)"/>; null until then.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True when this tensor was produced by a recorded operation (it is not a leaf).</summary>
    public bool IsLeaf => Node is null;

    /// <summary>
    /// Whether gradients flow to this tensor. Settable on leaves only; results of recorded ops always require grad.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || Node is not null;
        set
        {
            if (Node is not null && !value)
            {
                throw new InvalidOperationException("RequiresGrad can only be cleared on a leaf tensor; use Detach() for results of operations.");
            }
            _requiresGrad = value;
        }
    }

    /// <summary>The name of the operation that produced this tensor (null for leaves).</summary>
    public string? Operation => Node?.Name;

    /// <summary>The value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1)
        {
            throw new InvalidOperationException($"Item() needs a tensor with exactly one element, but the shape is {ShapeUtil.Format(Dims)}.");
        }
        return Buffer[Offset];
    }

    /// <summary>Element at the given multi-index (no gradient; for inspection and tests).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Buffer[Offset + ShapeUtil.FlatIndex(Dims, index)];
        set => Buffer[Offset + ShapeUtil.FlatIndex(Dims, index)] = value;
    }

    /// <summary>Copies the elements into a new row-major array.</summary>
    public float[] ToArray() => ReadOnlySpan.ToArray();

    /// <summary>A tensor sharing this storage but cut from the graph (no gradient flows through it).</summary>
    public Tensor Detach() => new(Buffer, Offset, Dims);

    /// <summary>A deep copy (new storage), cut from the graph.</summary>
    public Tensor Clone() => new(ToArray(), (int[])Dims.Clone());

    /// <summary>Sets the gradient to null, as optimizers do between steps.</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>Readable form, e.g. <c>Tensor[2, 3] [[1, 2, 3], [4, 5, 6]]</c>; long tensors are elided.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(ShapeUtil.Format(Dims));
        if (Node is not null)
        {
            sb.Append(" grad_fn=").Append(Node.Name);
        }
        else if (_requiresGrad)
        {
            sb.Append(" requires_grad");
        }
        sb.Append(' ');
        if (Rank == 0)
        {
            sb.Append(Buffer[Offset].ToString("G6", CultureInfo.InvariantCulture));
            return sb.ToString();
        }
        AppendLevel(sb, 0, Offset);
        return sb.ToString();
    }

    private void AppendLevel(StringBuilder sb, int axis, int start)
    {
        const int Edge = 3;
        int n = Dims[axis];
        int stride = 1;
        for (int i = axis + 1; i < Rank; i++)
        {
            stride *= Dims[i];
        }
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (n > 2 * Edge && i == Edge)
            {
                sb.Append("..., ");
                i = n - Edge - 1;
                continue;
            }
            if (axis == Rank - 1)
            {
                sb.Append(Buffer[start + i].ToString("G6", CultureInfo.InvariantCulture));
            }
            else
            {
                AppendLevel(sb, axis + 1, start + (i * stride));
            }
            if (i < n - 1)
            {
                sb.Append(", ");
            }
        }
        sb.Append(']');
    }
}

using System.Numerics.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

/// <summary>
/// What an inference convolution does to its output rows while they are still in cache, instead of separate passes
/// over the whole activation: an inference batch norm (per-channel scale then shift), a residual addition, a ReLU.
/// Each step is the same float operation, in the same order, as the unfused op would run (BatchNorm's multiply then
/// add, Add, Relu's max), so a fused result equals the unfused one bit for bit. No gradient flows through it: use it
/// through <see cref="Ops.Conv2dInference"/>, with <see cref="Ops.BatchNormInference"/> for a batch norm's factors.
/// </summary>
public sealed class ConvEpilogue
{
    private readonly float[]? _scale;
    private readonly float[]? _shift;

    /// <summary>An epilogue doing, in order, whichever of the four steps are given.</summary>
    /// <param name="scale">Per-output-channel factor, or null.</param>
    /// <param name="shift">Per-output-channel addend, or null.</param>
    /// <param name="residual">Tensor of the output's shape added after the shift, or null.</param>
    /// <param name="relu">Clamp at zero last.</param>
    public ConvEpilogue(float[]? scale, float[]? shift, Tensor? residual, bool relu)
    {
        // Copies: the factors are read while the convolution runs and must not change under it.
        _scale = scale is null ? null : (float[])scale.Clone();
        _shift = shift is null ? null : (float[])shift.Clone();
        Residual = residual;
        Relu = relu;
    }

    /// <summary>Per-output-channel factor applied first, or null.</summary>
    public IReadOnlyList<float>? Scale => _scale;

    /// <summary>Per-output-channel addend applied after <see cref="Scale"/>, or null.</summary>
    public IReadOnlyList<float>? Shift => _shift;

    /// <summary>Tensor of the output's shape added after the shift, or null.</summary>
    public Tensor? Residual { get; }

    /// <summary>Whether the output is clamped at zero last.</summary>
    public bool Relu { get; }

    /// <summary>Checks the epilogue fits an output [n, o, ho, wo].</summary>
    internal void Check(int n, int o, int ho, int wo)
    {
        if ((_scale is not null && _scale.Length != o) || (_shift is not null && _shift.Length != o))
        {
            throw new ArgumentException($"Conv epilogue: per-channel scale/shift must have {o} values, got {_scale?.Length} and {_shift?.Length}.");
        }
        if (Residual is not null && (Residual.Rank != 4 || Residual.Dims[0] != n || Residual.Dims[1] != o || Residual.Dims[2] != ho || Residual.Dims[3] != wo))
        {
            throw new ArgumentException($"Conv epilogue: the residual must be [{n}, {o}, {ho}, {wo}], got {ShapeUtil.Format(Residual.Dims)}.");
        }
    }

    /// <summary>
    /// Applies the epilogue to images [<paramref name="first"/>, first + <paramref name="count"/>) of an output
    /// [N, O, P] held in <paramref name="y"/>, whose element 0 is image <paramref name="yImage"/>'s first.
    /// </summary>
    internal void Apply(Span<float> y, int yImage, int first, int count, int o, int p)
    {
        for (int plane = first * o; plane < (first + count) * o; plane++)
        {
            Row(y.Slice((plane - (yImage * o)) * p, p), plane, o, plane * p);
        }
    }

    /// <summary>Applies the epilogue to channels [<paramref name="oc0"/>, <paramref name="oc1"/>) of one image of a whole output [N, O, P].</summary>
    internal void ApplyChannels(Span<float> y, int image, int o, int oc0, int oc1, int p) =>
        ApplyRows(y, image, o, oc0, oc1, p, 0, p);

    /// <summary>
    /// Applies the epilogue to elements [<paramref name="from"/>, <paramref name="from"/> + <paramref name="length"/>)
    /// of each plane of channels [<paramref name="oc0"/>, <paramref name="oc1"/>) of one image of a whole output [N, O, P]
    /// (a band of output rows just computed).
    /// </summary>
    internal void ApplyRows(Span<float> y, int image, int o, int oc0, int oc1, int p, int from, int length)
    {
        for (int plane = (image * o) + oc0; plane < (image * o) + oc1; plane++)
        {
            Row(y.Slice((plane * p) + from, length), plane, o, (plane * p) + from);
        }
    }

    /// <summary>Applies the epilogue to a whole output [N, O, P] in place, planes split over the worker ranges.</summary>
    internal void ApplyAll(float[] y, int n, int o, int p) =>
        KernelThreads.For(n * o, (_, start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                Row(y.AsSpan(plane * p, p), plane, o, plane * p);
            }
        });

    // at: the row's offset in the whole output (where the residual's matching elements are).
    private void Row(Span<float> row, int plane, int o, int at)
    {
        int oc = plane % o;
        if (_scale is not null)
        {
            TensorPrimitives.Multiply(row, _scale[oc], row);
        }
        if (_shift is not null)
        {
            TensorPrimitives.Add(row, _shift[oc], row);
        }
        if (Residual is not null)
        {
            TensorPrimitives.Add(row, Residual.ReadOnlySpan.Slice(at, row.Length), row);
        }
        if (Relu)
        {
            TensorPrimitives.Max(row, 0f, row);
        }
    }
}

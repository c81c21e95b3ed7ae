using System.Numerics.Tensors;

namespace DeepMetric.Tensors;

/// <summary>
/// The differentiable operations of the engine. Each op computes its forward value with SIMD kernels and,
/// when gradients are enabled, records a closure computing its backward. Binary ops broadcast as NumPy does.
/// </summary>
public static partial class Ops
{
    /// <summary>Elementwise <c>a + b</c> with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var r = Broadcast.Apply<BinaryKernels.Add>(a, b, "Add");
        return Tensor.Record(r.Buffer, r.Dims, "Add", [a, b], g =>
        {
            a.AccumulateGrad(Broadcast.SumTo(g, a.Dims));
            b.AccumulateGrad(Broadcast.SumTo(g, b.Dims));
        });
    }

    /// <summary>Elementwise <c>a − b</c> with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var r = Broadcast.Apply<BinaryKernels.Sub>(a, b, "Sub");
        return Tensor.Record(r.Buffer, r.Dims, "Sub", [a, b], g =>
        {
            a.AccumulateGrad(Broadcast.SumTo(g, a.Dims));
            if (b.RequiresGrad)
            {
                b.AccumulateGrad(Broadcast.SumTo(Scale(g, -1f), b.Dims));
            }
        });
    }

    /// <summary>Elementwise <c>a · b</c> with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var r = Broadcast.Apply<BinaryKernels.Mul>(a, b, "Mul");
        return Tensor.Record(r.Buffer, r.Dims, "Mul", [a, b], g =>
        {
            if (a.RequiresGrad)
            {
                a.AccumulateGrad(Broadcast.SumTo(Broadcast.Apply<BinaryKernels.Mul>(g, b, "Mul"), a.Dims));
            }
            if (b.RequiresGrad)
            {
                b.AccumulateGrad(Broadcast.SumTo(Broadcast.Apply<BinaryKernels.Mul>(g, a, "Mul"), b.Dims));
            }
        });
    }

    /// <summary>Elementwise <c>a / b</c> with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var r = Broadcast.Apply<BinaryKernels.Div>(a, b, "Div");
        return Tensor.Record(r.Buffer, r.Dims, "Div", [a, b], g =>
        {
            var gOverB = Broadcast.Apply<BinaryKernels.Div>(g, b, "Div");
            if (a.RequiresGrad)
            {
                a.AccumulateGrad(Broadcast.SumTo(gOverB, a.Dims));
            }
            if (b.RequiresGrad)
            {
                // d(a/b)/db = −(a/b)/b, and a/b is the forward result.
                var t = Broadcast.Apply<BinaryKernels.Mul>(gOverB, r, "Div");
                TensorPrimitives.Negate(t.Span, t.Span);
                b.AccumulateGrad(Broadcast.SumTo(t, b.Dims));
            }
        });
    }

    /// <summary>Elementwise maximum with broadcasting; on ties the gradient is split equally.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Extremum<BinaryKernels.Max>(a, b, "Maximum", greater: true);

    /// <summary>Elementwise minimum with broadcasting; on ties the gradient is split equally.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Extremum<BinaryKernels.Min>(a, b, "Minimum", greater: false);

    private static Tensor Extremum<TKernel>(Tensor a, Tensor b, string name, bool greater)
        where TKernel : IBinaryKernel
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var r = Broadcast.Apply<TKernel>(a, b, name);
        return Tensor.Record(r.Buffer, r.Dims, name, [a, b], g =>
        {
            // Weight of a in the result: 1 where a wins, ½ on ties, 0 where b wins.
            var wa = Broadcast.Map(a, b, (x, y) => x == y ? 0.5f : (greater ? x > y : x < y) ? 1f : 0f, name);
            if (a.RequiresGrad)
            {
                a.AccumulateGrad(Broadcast.SumTo(Broadcast.Apply<BinaryKernels.Mul>(g, wa, name), a.Dims));
            }
            if (b.RequiresGrad)
            {
                TensorPrimitives.Subtract(1f, wa.Span, wa.Span);
                b.AccumulateGrad(Broadcast.SumTo(Broadcast.Apply<BinaryKernels.Mul>(g, wa, name), b.Dims));
            }
        });
    }

    /// <summary><c>x + c</c> for a constant.</summary>
    public static Tensor Add(Tensor x, float c)
    {
        ArgumentNullException.ThrowIfNull(x);
        var d = TensorBuffers.Uninitialized(x.Size);
        TensorPrimitives.Add(x.ReadOnlySpan, c, d);
        return Tensor.Record(d, (int[])x.Dims.Clone(), "AddScalar", x, g => x.AccumulateGrad(g));
    }

    /// <summary><c>x · c</c> for a constant.</summary>
    public static Tensor Mul(Tensor x, float c)
    {
        ArgumentNullException.ThrowIfNull(x);
        var d = TensorBuffers.Uninitialized(x.Size);
        TensorPrimitives.Multiply(x.ReadOnlySpan, c, d);
        return Tensor.Record(d, (int[])x.Dims.Clone(), "MulScalar", x, g => x.AccumulateGrad(Scale(g, c)));
    }

    /// <summary><c>c − x</c> for a constant.</summary>
    public static Tensor RSub(float c, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var d = TensorBuffers.Uninitialized(x.Size);
        TensorPrimitives.Subtract(c, x.ReadOnlySpan, d);
        return Tensor.Record(d, (int[])x.Dims.Clone(), "RSubScalar", x, g => x.AccumulateGrad(Scale(g, -1f)));
    }

    /// <summary><c>c / x</c> for a constant.</summary>
    public static Tensor RDiv(float c, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var d = TensorBuffers.Uninitialized(x.Size);
        TensorPrimitives.Divide(c, x.ReadOnlySpan, d);
        var r = new Tensor(d, (int[])x.Dims.Clone());
        return Tensor.Record(d, r.Dims, "RDivScalar", x, g =>
        {
            // d(c/x)/dx = −(c/x)/x
            var t = TensorBuffers.Uninitialized(x.Size);
            TensorPrimitives.Divide(r.ReadOnlySpan, x.ReadOnlySpan, t);
            TensorPrimitives.Multiply(t, g.ReadOnlySpan, t);
            TensorPrimitives.Negate(t, t);
            x.AccumulateGrad(new Tensor(t, r.Dims));
        });
    }

    /// <summary>A new, untracked tensor <c>t · c</c> (used inside backward closures).</summary>
    internal static Tensor Scale(Tensor t, float c)
    {
        var d = TensorBuffers.Uninitialized(t.Size);
        TensorPrimitives.Multiply(t.ReadOnlySpan, c, d);
        return new Tensor(d, (int[])t.Dims.Clone());
    }
}

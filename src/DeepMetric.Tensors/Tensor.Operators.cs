namespace DeepMetric.Tensors;

public sealed partial class Tensor
{
    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(Tensor a, float c) => Ops.Add(a, c);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(float c, Tensor a) => Ops.Add(a, c);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);

    /// <summary>Subtracts a constant.</summary>
    public static Tensor operator -(Tensor a, float c) => Ops.Add(a, -c);

    /// <summary>A constant minus the tensor.</summary>
    public static Tensor operator -(float c, Tensor a) => Ops.RSub(c, a);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => Ops.Neg(a);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(Tensor a, float c) => Ops.Mul(a, c);

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(float c, Tensor a) => Ops.Mul(a, c);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    /// <summary>Divides by a constant.</summary>
    public static Tensor operator /(Tensor a, float c) => Ops.Mul(a, 1f / c);

    /// <summary>A constant divided by the tensor.</summary>
    public static Tensor operator /(float c, Tensor a) => Ops.RDiv(c, a);
}

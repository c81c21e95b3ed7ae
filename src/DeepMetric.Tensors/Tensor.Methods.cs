using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public sealed partial class Tensor
{
    /// <summary>See <see cref="Ops.Reshape"/>.</summary>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);

    /// <summary>See <see cref="Ops.Transpose"/>.</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1) => Ops.Transpose(this, axis0, axis1);

    /// <summary>See <see cref="Ops.Matmul(Tensor, Tensor)"/>.</summary>
    public Tensor Matmul(Tensor other) => Ops.Matmul(this, other);

    /// <summary>Sum of all elements.</summary>
    public Tensor Sum() => Ops.Sum(this);

    /// <summary>Sum over an axis.</summary>
    public Tensor Sum(int axis, bool keepDim = false) => Ops.Sum(this, axis, keepDim);

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Ops.Mean(this);

    /// <summary>Mean over an axis.</summary>
    public Tensor Mean(int axis, bool keepDim = false) => Ops.Mean(this, axis, keepDim);

    /// <summary>See <see cref="Ops.Exp"/>.</summary>
    public Tensor Exp() => Ops.Exp(this);

    /// <summary>See <see cref="Ops.Log"/>.</summary>
    public Tensor Log() => Ops.Log(this);

    /// <summary>See <see cref="Ops.Sqrt"/>.</summary>
    public Tensor Sqrt() => Ops.Sqrt(this);

    /// <summary>See <see cref="Ops.Pow"/>.</summary>
    public Tensor Pow(float p) => Ops.Pow(this, p);

    /// <summary>See <see cref="Ops.Abs"/>.</summary>
    public Tensor Abs() => Ops.Abs(this);

    /// <summary>See <see cref="Ops.Relu"/>.</summary>
    public Tensor Relu() => Ops.Relu(this);

    /// <summary>See <see cref="Ops.Clamp"/>.</summary>
    public Tensor Clamp(float min = float.NegativeInfinity, float max = float.PositiveInfinity) => Ops.Clamp(this, min, max);

    /// <summary>See <see cref="Ops.Softmax"/>.</summary>
    public Tensor Softmax(int axis = -1) => Ops.Softmax(this, axis);

    /// <summary>See <see cref="Ops.LogSoftmax"/>.</summary>
    public Tensor LogSoftmax(int axis = -1) => Ops.LogSoftmax(this, axis);

    /// <summary>See <see cref="Ops.L2Normalize"/>.</summary>
    public Tensor L2Normalize(int axis = -1, float eps = 1e-12f) => Ops.L2Normalize(this, axis, eps);

    /// <summary>See <see cref="Ops.IndexSelect"/>.</summary>
    public Tensor IndexSelect(int axis, int[] indices) => Ops.IndexSelect(this, axis, indices);

    /// <summary>See <see cref="Ops.Slice"/>.</summary>
    public Tensor Slice(int axis, int start, int length) => Ops.Slice(this, axis, start, length);
}

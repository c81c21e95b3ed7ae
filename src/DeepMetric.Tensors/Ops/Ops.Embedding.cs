using System.Numerics.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>Rows of <paramref name="weight"/> ([V, D]) at <paramref name="indices"/>: [len, D].</summary>
    /// <remarks>Repeated indices receive the sum of their rows' gradients.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, V).</exception>
    public static Tensor Embedding(Tensor weight, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(indices);
        if (weight.Rank != 2)
        {
            throw new ArgumentException($"Embedding: weight must be [V, D], got {ShapeUtil.Format(weight.Dims)}.", nameof(weight));
        }
        int v = weight.Dims[0], d = weight.Dims[1];
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Embedding: indices[{i}] = {indices[i]} is outside [0, {v}).");
            }
        }
        var idx = (int[])indices.Clone();
        var y = TensorBuffers.Uninitialized(idx.Length * d);
        var ws = weight.ReadOnlySpan;
        for (int i = 0; i < idx.Length; i++)
        {
            ws.Slice(idx[i] * d, d).CopyTo(y.AsSpan(i * d, d));
        }
        return Tensor.Record(y, [idx.Length, d], "Embedding", weight, g =>
        {
            var dw = TensorBuffers.Zeroed(weight.Size);
            var gs = g.ReadOnlySpan;
            for (int i = 0; i < idx.Length; i++)
            {
                var row = dw.AsSpan(idx[i] * d, d);
                TensorPrimitives.Add(row, gs.Slice(i * d, d), row);
            }
            weight.AccumulateGrad(new Tensor(dw, [v, d]));
        });
    }
}

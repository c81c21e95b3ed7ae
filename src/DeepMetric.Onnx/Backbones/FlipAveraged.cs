using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// Runs a module on images [N, C, H, W] and on their horizontal mirrors and averages the two outputs (test-time
/// augmentation that is also used in training, so the head sees the features it is evaluated on).
/// </summary>
internal sealed class FlipAveraged : Module
{
    private readonly Module _inner;

    public FlipAveraged(Module inner) => _inner = RegisterModule("inner", inner);

    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
        {
            throw new ArgumentException($"Flip averaging takes images [N, C, H, W]; got [{string.Join(", ", x.Shape)}].", nameof(x));
        }
        // The input is pixels (no gradient flows into it), so the mirror is a plain copy.
        int rows = x.Dim(0) * x.Dim(1) * x.Dim(2), w = x.Dim(3);
        var src = x.ReadOnlySpan;
        var mirrored = new float[src.Length];
        for (int r = 0; r < rows; r++)
        {
            var from = src.Slice(r * w, w);
            var to = mirrored.AsSpan(r * w, w);
            for (int c = 0; c < w; c++)
            {
                to[c] = from[w - 1 - c];
            }
        }
        var a = _inner.Forward(x);
        var b = _inner.Forward(Tensor.Wrap(mirrored, x.Shape));
        return Ops.Mul(Ops.Add(a, b), 0.5f);
    }

    public override string ToString() => $"FlipAveraged({_inner})";
}

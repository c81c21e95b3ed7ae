using System.Runtime.CompilerServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace DeepMetric.Tensors.Optim;

/// <summary>The moment updates and parameter step shared by <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
internal static class AdamKernel
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FusedStep(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        float lr, float beta1, float beta2, float eps, float invBc2Sqrt)
    {
        int n = param.Length, i = 0;
        if (n != grad.Length || n != m.Length || n != v.Length)
        {
            throw new ArgumentException("Adam: parameter, gradient and state lengths differ.", nameof(grad));
        }
        float c1 = 1f - beta1, c2 = 1f - beta2;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            var vb1 = new Vector<float>(beta1);
            var vc1 = new Vector<float>(c1);
            var vb2 = new Vector<float>(beta2);
            var vc2 = new Vector<float>(c2);
            var vbc = new Vector<float>(invBc2Sqrt);
            var veps = new Vector<float>(eps);
            var vlr = new Vector<float>(lr);
            for (; i <= n - w; i += w)
            {
                var g = new Vector<float>(grad.Slice(i, w));
                var mm = (vb1 * new Vector<float>(m.Slice(i, w))) + (vc1 * g);
                var vv = (vb2 * new Vector<float>(v.Slice(i, w))) + (vc2 * (g * g));
                var denom = (Vector.SquareRoot(vv) * vbc) + veps;
                var p = new Vector<float>(param.Slice(i, w)) - (vlr * (mm / denom));
                mm.CopyTo(m.Slice(i, w));
                vv.CopyTo(v.Slice(i, w));
                p.CopyTo(param.Slice(i, w));
            }
        }
        for (; i < n; i++)
        {
            float g = grad[i];
            float mm = (beta1 * m[i]) + (c1 * g);
            float vv = (beta2 * v[i]) + (c2 * (g * g));
            m[i] = mm;
            v[i] = vv;
            param[i] -= lr * (mm / ((MathF.Sqrt(vv) * invBc2Sqrt) + eps));
        }
    }

    /// <summary>
    /// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; v̂ ← max(v̂, v) if AMSGrad;
    /// p ← p − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε), with the bias corrections in double as PyTorch does.
    /// </summary>
    /// <param name="param">Parameter, updated in place.</param>
    /// <param name="grad">Gradient (already including any L2 term).</param>
    /// <param name="m">First-moment state.</param>
    /// <param name="v">Second-moment state.</param>
    /// <param name="vMax">The AMSGrad running maximum, or empty when AMSGrad is off.</param>
    /// <param name="tmp">Scratch of the parameter's length; may not alias <paramref name="grad"/>.</param>
    /// <param name="lr">Learning rate η.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="eps">ε.</param>
    /// <param name="step">Update count t, from 1.</param>
    internal static void Apply(
        Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax, Span<float> tmp,
        float lr, float beta1, float beta2, float eps, long step)
    {
        double biasCorrection1 = 1.0 - Math.Pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, step);
        float stepSize = (float)(lr / biasCorrection1);
        float invBc2Sqrt = (float)(1.0 / Math.Sqrt(biasCorrection2));
        if (vMax.IsEmpty)
        {
            // One fused pass: the update is memory-bound, and separate TensorPrimitives calls read and write
            // the four arrays about nine times.
            FusedStep(param, grad, m, v, lr: stepSize, beta1, beta2, eps, invBc2Sqrt);
            return;
        }
        TensorPrimitives.Multiply(m, beta1, m);
        TensorPrimitives.MultiplyAdd(grad, 1f - beta1, m, m);
        TensorPrimitives.Multiply(grad, grad, tmp);
        TensorPrimitives.Multiply(v, beta2, v);
        TensorPrimitives.MultiplyAdd(tmp, 1f - beta2, v, v);
        TensorPrimitives.Max(vMax, v, vMax);
        TensorPrimitives.Sqrt(vMax, tmp);
        TensorPrimitives.Multiply(tmp, invBc2Sqrt, tmp);
        TensorPrimitives.Add(tmp, eps, tmp);
        TensorPrimitives.Divide(m, tmp, tmp);
        TensorPrimitives.MultiplyAdd(tmp, -stepSize, param, param);
    }
}

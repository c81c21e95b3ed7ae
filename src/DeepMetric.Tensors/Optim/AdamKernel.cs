using System.Numerics.Tensors;

namespace DeepMetric.Tensors.Optim;

/// <summary>The moment updates and parameter step shared by <see cref="Adam"/> and <see cref="AdamW"/>.</summary>
internal static class AdamKernel
{
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
        TensorPrimitives.Multiply(m, beta1, m);
        TensorPrimitives.MultiplyAdd(grad, 1f - beta1, m, m);
        TensorPrimitives.Multiply(grad, grad, tmp);
        TensorPrimitives.Multiply(v, beta2, v);
        TensorPrimitives.MultiplyAdd(tmp, 1f - beta2, v, v);
        ReadOnlySpan<float> second = v;
        if (!vMax.IsEmpty)
        {
            TensorPrimitives.Max(vMax, v, vMax);
            second = vMax;
        }
        double biasCorrection1 = 1.0 - Math.Pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.Pow(beta2, step);
        float stepSize = (float)(lr / biasCorrection1);
        float biasCorrection2Sqrt = (float)Math.Sqrt(biasCorrection2);
        TensorPrimitives.Sqrt(second, tmp);
        TensorPrimitives.Divide(tmp, biasCorrection2Sqrt, tmp);
        TensorPrimitives.Add(tmp, eps, tmp);
        TensorPrimitives.Divide(m, tmp, tmp);
        TensorPrimitives.MultiplyAdd(tmp, -stepSize, param, param);
    }
}

using System.Numerics;
using System.Numerics.Tensors;

namespace DeepMetric.Tensors.Optim;

/// <summary>Gradient clipping applied to parameters' <see cref="Tensor.Grad"/> in place, between Backward and Step.</summary>
public static class GradientClipping
{
    // Added to the total norm before dividing, as PyTorch's clip_grad_norm_ does, so a zero norm never divides by zero.
    private const double NormEpsilon = 1e-6;

    /// <summary>
    /// Rescales all gradients together so that their joint p-norm is at most <paramref name="maxNorm"/>
    /// (Pascanu, Mikolov &amp; Bengio, "On the difficulty of training recurrent neural networks", ICML 2013),
    /// like PyTorch's <c>clip_grad_norm_</c>.
    /// </summary>
    /// <remarks>
    /// The total norm is <c>(Σ |g|ᵖ)^(1/p)</c> over every element of every non-null gradient (max |g| for
    /// p = ∞), accumulated in double. When <c>maxNorm / (norm + 1e-6) &lt; 1</c> every gradient is multiplied
    /// by that factor; otherwise gradients are left unchanged. Parameters without a gradient are skipped.
    /// If the norm is NaN or infinite, the gradients are left unchanged and the norm is returned (so the
    /// caller can skip the step), or an exception is thrown when <paramref name="errorIfNonFinite"/> is true.
    /// </remarks>
    /// <param name="parameters">The parameters whose gradients are clipped.</param>
    /// <param name="maxNorm">Largest allowed total norm (finite, at least 0).</param>
    /// <param name="normType">The p of the p-norm: positive, or <see cref="float.PositiveInfinity"/> for the max norm.</param>
    /// <param name="errorIfNonFinite">Throw instead of returning a NaN or infinite norm.</param>
    /// <returns>The total norm of the gradients before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> or <paramref name="normType"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException">The norm is not finite and <paramref name="errorIfNonFinite"/> is true.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm, float normType = 2f, bool errorIfNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0f && float.IsFinite(maxNorm)))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be finite and at least 0.");
        }
        if (!(normType > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "normType must be positive (or +Infinity for the max norm).");
        }

        double total;
        if (float.IsPositiveInfinity(normType))
        {
            total = 0;
            foreach (var p in parameters)
            {
                if (p?.Grad is { Size: > 0 } g)
                {
                    float m = Math.Abs(TensorPrimitives.MaxMagnitude(g.ReadOnlySpan));
                    total = float.IsNaN(m) ? double.NaN : Math.Max(total, m);
                }
            }
        }
        else
        {
            double sum = 0;
            foreach (var p in parameters)
            {
                if (p?.Grad is { } g)
                {
                    sum += normType switch
                    {
                        2f => SumOfSquares(g.ReadOnlySpan),
                        1f => SumOfMagnitudes(g.ReadOnlySpan),
                        _ => SumOfPowers(g.ReadOnlySpan, normType),
                    };
                }
            }
            total = normType switch
            {
                2f => Math.Sqrt(sum),
                1f => sum,
                _ => Math.Pow(sum, 1.0 / normType),
            };
        }

        if (!double.IsFinite(total))
        {
            return errorIfNonFinite
                ? throw new InvalidOperationException($"The total {normType}-norm of the gradients is {total}; the gradients were not clipped.")
                : total;
        }
        double coefficient = maxNorm / (total + NormEpsilon);
        if (coefficient < 1.0)
        {
            float scale = (float)coefficient;
            foreach (var p in parameters)
            {
                if (p?.Grad is { } g)
                {
                    TensorPrimitives.Multiply(g.Span, scale, g.Span);
                }
            }
        }
        return total;
    }

    /// <summary>Clamps every gradient element into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>] in place (NaN stays NaN).</summary>
    /// <param name="parameters">The parameters whose gradients are clipped; those without a gradient are skipped.</param>
    /// <param name="clipValue">The bound (finite, at least 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or not finite.</exception>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, float clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0f && float.IsFinite(clipValue)))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "clipValue must be finite and at least 0.");
        }
        foreach (var p in parameters)
        {
            if (p?.Grad is { } g)
            {
                var span = g.Span;
                TensorPrimitives.Max(span, -clipValue, span);
                TensorPrimitives.Min(span, clipValue, span);
            }
        }
    }

    // Sum of squares widened to double lane by lane, so long gradients lose no precision.
    private static double SumOfSquares(ReadOnlySpan<float> x)
    {
        var acc = Vector<double>.Zero;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(x[i..]), out var lo, out var hi);
                acc += (lo * lo) + (hi * hi);
            }
        }
        double sum = Vector.Sum(acc);
        for (; i < x.Length; i++)
        {
            sum += (double)x[i] * x[i];
        }
        return sum;
    }

    private static double SumOfMagnitudes(ReadOnlySpan<float> x)
    {
        var acc = Vector<double>.Zero;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.Abs(new Vector<float>(x[i..])), out var lo, out var hi);
                acc += lo + hi;
            }
        }
        double sum = Vector.Sum(acc);
        for (; i < x.Length; i++)
        {
            sum += Math.Abs(x[i]);
        }
        return sum;
    }

    private static double SumOfPowers(ReadOnlySpan<float> x, double p)
    {
        double sum = 0;
        foreach (float v in x)
        {
            sum += Math.Pow(Math.Abs(v), p);
        }
        return sum;
    }
}

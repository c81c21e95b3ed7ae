using System.Numerics;
using System.Numerics.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Special;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    private delegate void SpanMap(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>Backward of a unary op: fills <c>dx</c> from the input, the output and the output gradient.</summary>
    private delegate void UnaryGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx);

    private static Tensor Unary(Tensor x, string name, SpanMap forward, UnaryGrad backward)
    {
        ArgumentNullException.ThrowIfNull(x);
        var d = TensorBuffers.Uninitialized(x.Size);
        forward(x.ReadOnlySpan, d);
        var dims = (int[])x.Dims.Clone();
        return Tensor.Record(d, dims, name, x, g =>
        {
            var dx = TensorBuffers.Uninitialized(x.Size);
            backward(x.ReadOnlySpan, d, g.ReadOnlySpan, dx);
            x.AccumulateGrad(new Tensor(dx, dims));
        });
    }

    /// <summary>−x.</summary>
    public static Tensor Neg(Tensor x) => Unary(x, "Neg", TensorPrimitives.Negate, (_, _, g, dx) => TensorPrimitives.Negate(g, dx));

    /// <summary>eˣ.</summary>
    public static Tensor Exp(Tensor x) => Unary(x, "Exp", TensorPrimitives.Exp, (_, y, g, dx) => TensorPrimitives.Multiply(g, y, dx));

    /// <summary>Natural logarithm (−∞ at 0, NaN below).</summary>
    public static Tensor Log(Tensor x) => Unary(x, "Log", TensorPrimitives.Log, (x, _, g, dx) => TensorPrimitives.Divide(g, x, dx));

    /// <summary>Square root; the gradient at 0 is defined as 0 (not ∞), so distances of duplicates stay finite.</summary>
    public static Tensor Sqrt(Tensor x) => Unary(x, "Sqrt", TensorPrimitives.Sqrt, (_, y, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = y[i] > 0 ? 0.5f * g[i] / y[i] : 0f;
        }
    });

    /// <summary>xᵖ for a constant exponent. The gradient at x = 0 is 0 for p &gt; 1 and defined as 0 for p &lt; 1.</summary>
    public static Tensor Pow(Tensor x, float p)
    {
        if (p == 1f)
        {
            return Unary(x, "Pow", (s, d) => s.CopyTo(d), (_, _, g, dx) => g.CopyTo(dx));
        }
        if (p == 2f)
        {
            return Unary(x, "Pow", (s, d) => TensorPrimitives.Multiply(s, s, d), (x, _, g, dx) =>
            {
                TensorPrimitives.Multiply(x, g, dx);
                TensorPrimitives.Multiply(dx, 2f, dx);
            });
        }
        return Unary(x, "Pow", (s, d) => TensorPrimitives.Pow(s, p, d), (x, y, g, dx) =>
        {
            for (int i = 0; i < dx.Length; i++)
            {
                dx[i] = x[i] == 0 ? 0f : g[i] * p * y[i] / x[i];
            }
        });
    }

    /// <summary>|x|; the gradient at 0 is 0.</summary>
    public static Tensor Abs(Tensor x) => Unary(x, "Abs", TensorPrimitives.Abs, (x, _, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0f;
        }
    });

    /// <summary>Clamps into [min, max]; the gradient passes where min ≤ x ≤ max.</summary>
    public static Tensor Clamp(Tensor x, float min = float.NegativeInfinity, float max = float.PositiveInfinity)
    {
        if (min > max)
        {
            throw new ArgumentException($"Clamp: min ({min}) must not exceed max ({max}).", nameof(min));
        }
        return Unary(x, "Clamp", (s, d) =>
        {
            TensorPrimitives.Max(s, min, d);
            TensorPrimitives.Min(d, max, d);
        }, (x, _, g, dx) =>
        {
            for (int i = 0; i < dx.Length; i++)
            {
                dx[i] = x[i] >= min && x[i] <= max ? g[i] : 0f;
            }
        });
    }

    /// <summary>max(x, 0); the gradient at 0 is 0.</summary>
    public static Tensor Relu(Tensor x) => Unary(x, "Relu", (s, d) => TensorPrimitives.Max(s, 0f, d), ReluGrad);

    private static void ReluGrad(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> g, Span<float> dx)
    {
        int i = 0, n = dx.Length;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count;
            for (; i <= n - w; i += w)
            {
                var positive = Vector.GreaterThan(new Vector<float>(x.Slice(i, w)), Vector<float>.Zero);
                Vector.ConditionalSelect(positive, new Vector<float>(g.Slice(i, w)), Vector<float>.Zero).CopyTo(dx.Slice(i, w));
            }
        }
        for (; i < n; i++)
        {
            dx[i] = x[i] > 0 ? g[i] : 0f;
        }
    }

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    public static Tensor LeakyRelu(Tensor x, float slope = 0.01f) => Unary(x, "LeakyRelu", (s, d) =>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = s[i] > 0 ? s[i] : slope * s[i];
        }
    }, (x, _, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = x[i] > 0 ? g[i] : slope * g[i];
        }
    });

    /// <summary>Logistic sigmoid 1/(1+e⁻ˣ).</summary>
    public static Tensor Sigmoid(Tensor x) => Unary(x, "Sigmoid", TensorPrimitives.Sigmoid, (_, y, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = g[i] * y[i] * (1f - y[i]);
        }
    });

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => Unary(x, "Tanh", TensorPrimitives.Tanh, (_, y, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = g[i] * (1f - (y[i] * y[i]));
        }
    });

    /// <summary>log(1 + eˣ), computed as max(x, 0) + log1p(e^−|x|) so it never overflows.</summary>
    public static Tensor Softplus(Tensor x) => Unary(x, "Softplus", (s, d) =>
    {
        for (int i = 0; i < d.Length; i++)
        {
            float v = s[i];
            // log(1 + e) in double: in float 1 + e drops e below 6e-8, so softplus(−25) came out 0, not 7e-12
            // (a reducer counting non-zero terms then counted one term fewer than PyTorch).
            double e = Math.Exp(-Math.Abs((double)v));
            d[i] = Math.Max(v, 0f) + (float)(e < 1e-10 ? e : Math.Log(1.0 + e));
        }
    }, (x, _, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            float v = x[i];
            // sigmoid(v), in the form that cannot overflow
            float e = MathF.Exp(-Math.Abs(v));
            float sig = v >= 0 ? 1f / (1f + e) : e / (1f + e);
            dx[i] = g[i] * sig;
        }
    });

    /// <summary>Gaussian error linear unit x·Φ(x) (Hendrycks &amp; Gimpel, 2016), exact erf form.</summary>
    public static Tensor Gelu(Tensor x) => Unary(x, "Gelu", (s, d) =>
    {
        for (int i = 0; i < d.Length; i++)
        {
            d[i] = (float)(s[i] * 0.5 * (1.0 + SpecialFunctions.Erf(s[i] / Math.Sqrt(2.0))));
        }
    }, (x, _, g, dx) =>
    {
        for (int i = 0; i < dx.Length; i++)
        {
            double v = x[i];
            double cdf = 0.5 * (1.0 + SpecialFunctions.Erf(v / Math.Sqrt(2.0)));
            double pdf = Math.Exp(-0.5 * v * v) / Math.Sqrt(2.0 * Math.PI);
            dx[i] = (float)(g[i] * (cdf + (v * pdf)));
        }
    });
}

using DeepMetric.Tensors.Special;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>The error function erf(x), elementwise (exact GELU graphs exported to ONNX use it).</summary>
    /// <remarks>d erf(x)/dx = 2/√π · e^(−x²).</remarks>
    public static Tensor Erf(Tensor x) => Unary(x, "Erf", (s, d) =>
    {
        for (int i = 0; i < s.Length; i++)
        {
            d[i] = (float)SpecialFunctions.Erf(s[i]);
        }
    }, (x, _, g, dx) =>
    {
        double c = 2.0 / Math.Sqrt(Math.PI);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            dx[i] = (float)(g[i] * c * Math.Exp(-v * v));
        }
    });
}

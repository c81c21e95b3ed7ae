using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>
/// Finite-difference gradient checker: compares the autograd gradient of Σ r ⊙ f(inputs), with a fixed
/// random projection r, against central differences computed in double precision from float forwards.
/// </summary>
public static class GradCheck
{
    public const float DefaultEps = 1e-3f;
    public const double DefaultAbsTol = 5e-3;
    public const double DefaultRelTol = 5e-3;

    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = DefaultEps,
        double absTol = DefaultAbsTol, double relTol = DefaultRelTol, ulong seed = 12345, bool[]? check = null)
    {
        foreach (var t in inputs)
        {
            t.Grad = null;
            t.RequiresGrad = true;
        }
        var y = f(inputs);
        var rng = new Prng(seed);
        var r = Tensor.Rand(rng, y.Shape, 0.5f, 1.5f);
        var loss = Ops.Sum(y * r);
        loss.Backward();

        double Objective()
        {
            using (Tensor.NoGrad())
            {
                var yy = f(inputs).ToArray();
                var rr = r.ToArray();
                double s = 0;
                for (int i = 0; i < yy.Length; i++)
                {
                    s += (double)yy[i] * rr[i];
                }
                return s;
            }
        }

        for (int k = 0; k < inputs.Length; k++)
        {
            if (check is not null && !check[k])
            {
                continue;
            }
            var x = inputs[k];
            var analytic = x.Grad?.ToArray() ?? new float[x.Size];
            var span = x.Buffer;
            for (int i = 0; i < x.Size; i++)
            {
                int at = x.Offset + i;
                float orig = span[at];
                span[at] = orig + eps;
                double plus = Objective();
                span[at] = orig - eps;
                double minus = Objective();
                span[at] = orig;
                double numeric = (plus - minus) / (2.0 * eps);
                double diff = Math.Abs(numeric - analytic[i]);
                double tol = absTol + (relTol * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
                Assert.True(diff <= tol,
                    $"Gradient mismatch for input {k} element {i}: analytic {analytic[i]:G6}, numeric {numeric:G6} (|diff| {diff:G3} > tol {tol:G3}).");
            }
        }
    }

    /// <summary>Random input of the given shape with values in [lo, hi).</summary>
    public static Tensor Random(ulong seed, int[] shape, float lo = -1f, float hi = 1f) =>
        Tensor.Rand(new Prng(seed), shape, lo, hi);
}

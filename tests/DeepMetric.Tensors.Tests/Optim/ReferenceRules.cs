using DeepMetric.Tensors.Optim;

namespace DeepMetric.Tensors.Tests.Optim;

/// <summary>
/// Plain double-precision re-implementations of the published update rules (PyTorch 1.13 forms), written
/// independently of the code under test; each runs <c>steps</c> updates with the synthetic gradients.
/// </summary>
internal static class ReferenceRules
{
    public static double[] Sgd(double[] p0, int steps, double lr, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
    {
        var p = (double[])p0.Clone();
        double[]? buf = null;
        for (int t = 1; t <= steps; t++)
        {
            var d = new double[p.Length];
            for (int i = 0; i < p.Length; i++)
            {
                d[i] = OptimTestUtil.Gradient(t, i) + (weightDecay * p[i]);
            }
            if (momentum != 0)
            {
                if (buf is null)
                {
                    buf = (double[])d.Clone();
                }
                else
                {
                    for (int i = 0; i < p.Length; i++)
                    {
                        buf[i] = (momentum * buf[i]) + ((1 - dampening) * d[i]);
                    }
                }
                for (int i = 0; i < p.Length; i++)
                {
                    d[i] = nesterov ? d[i] + (momentum * buf[i]) : buf[i];
                }
            }
            for (int i = 0; i < p.Length; i++)
            {
                p[i] -= lr * d[i];
            }
        }
        return p;
    }

    /// <summary>Adam (coupled L2 when <paramref name="decoupled"/> is false) or AdamW (decoupled decay).</summary>
    public static double[] Adam(double[] p0, int steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled, int firstStep = 1)
    {
        var p = (double[])p0.Clone();
        var m = new double[p.Length];
        var v = new double[p.Length];
        var vMax = new double[p.Length];
        for (int k = 1; k <= steps; k++)
        {
            int t = firstStep + k - 1;
            for (int i = 0; i < p.Length; i++)
            {
                double g = OptimTestUtil.Gradient(t, i);
                if (decoupled)
                {
                    p[i] *= 1 - (lr * weightDecay);
                }
                else
                {
                    g += weightDecay * p[i];
                }
                m[i] = (beta1 * m[i]) + ((1 - beta1) * g);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * g * g);
                vMax[i] = Math.Max(vMax[i], v[i]);
                double mHat = m[i] / (1 - Math.Pow(beta1, k));
                double second = amsgrad ? vMax[i] : v[i];
                double denom = (Math.Sqrt(second) / Math.Sqrt(1 - Math.Pow(beta2, k))) + eps;
                p[i] -= lr * mHat / denom;
            }
        }
        return p;
    }

    public static double[] RmsProp(double[] p0, int steps, double lr, double alpha, double eps, double weightDecay, double momentum, bool centered)
    {
        var p = (double[])p0.Clone();
        var sq = new double[p.Length];
        var avg = new double[p.Length];
        var buf = new double[p.Length];
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = OptimTestUtil.Gradient(t, i) + (weightDecay * p[i]);
                sq[i] = (alpha * sq[i]) + ((1 - alpha) * g * g);
                double denom;
                if (centered)
                {
                    avg[i] = (alpha * avg[i]) + ((1 - alpha) * g);
                    denom = Math.Sqrt(sq[i] - (avg[i] * avg[i])) + eps;
                }
                else
                {
                    denom = Math.Sqrt(sq[i]) + eps;
                }
                if (momentum > 0)
                {
                    buf[i] = (momentum * buf[i]) + (g / denom);
                    p[i] -= lr * buf[i];
                }
                else
                {
                    p[i] -= lr * g / denom;
                }
            }
        }
        return p;
    }
}

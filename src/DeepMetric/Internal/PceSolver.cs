using DeepMetric.Losses;

namespace DeepMetric.Internal;

/// <summary>
/// The inner problem of <see cref="PceLoss"/>: the weight-decayed linear classifier that minimises
/// CE(θ) + (λ/2)‖θ‖² on a batch, found in double precision without gradient.
/// </summary>
/// <remarks>
/// The minimiser lies in the span of the batch features, so θ_k = (1/n) Σ_j B_jk z_j and the logits are (1/n)·S·B:
/// only the similarity matrix S = ZZᵀ is needed. The gradient with respect to θ then has coefficients
/// G = λB + P − Y, and Nesterov's accelerated gradient descent for strongly convex functions (strong convexity λ,
/// smoothness λ + λ_max(S)/(2n), the latter bounded by S's largest absolute row sum) converges linearly.
/// </remarks>
internal static class PceSolver
{
    private const double Tolerance = 1e-10;

    /// <summary>
    /// The softmax probabilities P [n, classes] (row-major) of the minimising classifier, for the similarity matrix
    /// <paramref name="s"/> [n, n] and each sample's class index.
    /// </summary>
    public static double[] SoftAssignments(float[] s, int n, int[] classOf, int classes, double lambda, int maxIterations)
    {
        var p = new double[n * classes];
        if (classes == 1)
        {
            Array.Fill(p, 1.0);
            return p;
        }
        var sd = new double[n * n];
        double rowMax = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++)
            {
                sd[(i * n) + j] = s[(i * n) + j];
                row += Math.Abs(s[(i * n) + j]);
            }
            rowMax = Math.Max(rowMax, row);
        }
        double smooth = lambda + (rowMax / (2.0 * n));
        double step = 1.0 / smooth;
        double rootKappa = Math.Sqrt(smooth / lambda);
        double momentum = (rootKappa - 1) / (rootKappa + 1);

        var b = new double[n * classes];
        var previous = new double[n * classes];
        var look = new double[n * classes];
        var g = new double[n * classes];
        for (int it = 0; it < maxIterations; it++)
        {
            Probabilities(sd, look, n, classes, p);
            double worst = 0;
            for (int i = 0; i < n; i++)
            {
                for (int k = 0; k < classes; k++)
                {
                    int at = (i * classes) + k;
                    g[at] = (lambda * look[at]) + p[at] - (classOf[i] == k ? 1.0 : 0.0);
                    worst = Math.Max(worst, Math.Abs(g[at]));
                }
            }
            if (worst < Tolerance)
            {
                Array.Copy(look, b, b.Length);
                break;
            }
            for (int at = 0; at < b.Length; at++)
            {
                double next = look[at] - (step * g[at]);
                previous[at] = b[at];
                b[at] = next;
                look[at] = next + (momentum * (next - previous[at]));
            }
        }
        Probabilities(sd, b, n, classes, p);
        return p;
    }

    /// <summary>P = row-softmax((1/n)·S·B).</summary>
    private static void Probabilities(double[] s, double[] b, int n, int classes, double[] p)
    {
        Span<double> logits = classes <= 256 ? stackalloc double[classes] : new double[classes];
        for (int i = 0; i < n; i++)
        {
            logits.Clear();
            for (int j = 0; j < n; j++)
            {
                double sij = s[(i * n) + j] / n;
                for (int k = 0; k < classes; k++)
                {
                    logits[k] += sij * b[(j * classes) + k];
                }
            }
            double max = double.NegativeInfinity;
            foreach (double v in logits)
            {
                max = Math.Max(max, v);
            }
            double sum = 0;
            for (int k = 0; k < classes; k++)
            {
                logits[k] = Math.Exp(logits[k] - max);
                sum += logits[k];
            }
            for (int k = 0; k < classes; k++)
            {
                p[(i * classes) + k] = logits[k] / sum;
            }
        }
    }
}

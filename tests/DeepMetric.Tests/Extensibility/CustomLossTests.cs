using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Tests.Extensibility;

/// <summary>
/// A loss written the way a user outside the library would: public API only (<see cref="CustomOp"/>, Tensor.Wrap),
/// its closed-form gradient checked against central finite differences of its own forward pass, in double.
/// </summary>
public sealed class CustomLossTests
{
    /// <summary>
    /// A soft contrastive loss on squared distances s_ij = ‖x_i − x_j‖² over pairs i &lt; j:
    /// L = (1/P) Σ_pos s_ij + (1/Q) Σ_neg softplus(m − s_ij); ∂s_ij/∂x_i = 2(x_i − x_j) = −∂s_ij/∂x_j.
    /// </summary>
    private static Tensor SoftContrastive(Tensor embeddings, int[] labels, float margin)
    {
        int n = embeddings.Dim(0), d = embeddings.Dim(1);
        float[] x = embeddings.ToArray();
        var (value, weights) = Forward(x, n, d, labels, margin);
        return CustomOp.Create("SoftContrastive", [(float)value], [], [embeddings], g =>
        {
            double go = g.Item();
            var grad = new float[n * d];
            for (int i = 0; i < n; i++)
            {
                for (int j = i + 1; j < n; j++)
                {
                    double w = weights[(i * n) + j] * go;
                    for (int t = 0; t < d; t++)
                    {
                        double diff = 2.0 * (x[(i * d) + t] - x[(j * d) + t]);
                        grad[(i * d) + t] += (float)(w * diff);
                        grad[(j * d) + t] -= (float)(w * diff);
                    }
                }
            }
            return [Tensor.Wrap(grad, n, d)];
        });
    }

    // The loss and, per pair, ∂L/∂s_ij.
    private static (double Value, double[] Weights) Forward(float[] x, int n, int d, int[] labels, float margin)
    {
        int positives = 0, negatives = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                _ = labels[i] == labels[j] ? positives++ : negatives++;
            }
        }
        double value = 0;
        var weights = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double s = 0;
                for (int t = 0; t < d; t++)
                {
                    double diff = (double)x[(i * d) + t] - x[(j * d) + t];
                    s += diff * diff;
                }
                if (labels[i] == labels[j])
                {
                    value += s / positives;
                    weights[(i * n) + j] = 1.0 / positives;
                }
                else
                {
                    double z = margin - s;
                    value += (Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z)))) / negatives;
                    weights[(i * n) + j] = -1.0 / (1 + Math.Exp(-z)) / negatives;
                }
            }
        }
        return (value, weights);
    }

    [Fact]
    public void CustomLoss_GradientMatchesFiniteDifferences_ThroughAnEngineOp()
    {
        int[] labels = [0, 0, 1, 1, 2, 0];
        const int n = 6, d = 4;
        const float margin = 1.5f;
        var rng = new DeepMetric.Tensors.Random.Prng(17);
        var raw = Tensor.RandN(rng, [n, d]);
        raw.RequiresGrad = true;
        // An engine op before the custom one: the chain rule must run through both (y = 0.5·x, so ∂L/∂x = 0.5·∂L/∂y).
        var loss = SoftContrastive(Ops.Mul(raw, 0.5f), labels, margin);
        Assert.Equal("SoftContrastive", loss.Operation);
        loss.Backward();
        var analytic = raw.Grad!.ToArray();

        float[] x0 = raw.ToArray();
        const double h = 1e-3;
        for (int e = 0; e < x0.Length; e++)
        {
            double At(double delta)
            {
                var y = x0.Select(v => v * 0.5f).ToArray();
                y[e] = (float)((x0[e] + delta) * 0.5);
                return Forward(y, n, d, labels, margin).Value;
            }
            double numeric = (At(h) - At(-h)) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[e]) <= 2e-3 + (2e-3 * Math.Abs(numeric)), $"element {e}: finite differences {numeric:G6}, backward {analytic[e]:G6}");
        }
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-2);
    }

    [Fact]
    public void CustomOp_RecordsNothingUnderNoGrad_AndChecksWhatBackwardReturns()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]);
        x.RequiresGrad = true;
        using (Tensor.NoGrad())
        {
            var y = CustomOp.Create("Twice", [2f, 4f, 6f], [3], [x], g => [Ops.Mul(g, 2f)]);
            Assert.False(y.RequiresGrad);
        }
        var twice = CustomOp.Create("Twice", [2f, 4f, 6f], [3], [x], g => [Ops.Mul(g, 2f)]);
        Ops.Sum(twice).Backward();
        Assert.Equal([2f, 2f, 2f], x.Grad!.ToArray());

        var wrongShape = CustomOp.Create("Bad", [1f], [], [x], _ => [Tensor.Zeros(2)]);
        var shapeError = Assert.Throws<InvalidOperationException>(() => wrongShape.Backward());
        Assert.Contains("'Bad'", shapeError.Message, StringComparison.Ordinal);
        Assert.Contains("input 0", shapeError.Message, StringComparison.Ordinal);
        var wrongCount = CustomOp.Create("Bad", [1f], [], [x], _ => []);
        Assert.Throws<InvalidOperationException>(() => wrongCount.Backward());

        Assert.Throws<ArgumentException>("values", () => CustomOp.Create("Op", [1f, 2f], [3], [x], _ => [null]));
        Assert.Throws<ArgumentException>("shape", () => CustomOp.Create("Op", [], [-1], [x], _ => [null]));
        Assert.Throws<ArgumentException>("inputs", () => CustomOp.Create("Op", [1f], [], [null!], _ => [null]));
        Assert.Throws<ArgumentException>("name", () => CustomOp.Create(" ", [1f], [], [x], _ => [null]));
    }
}

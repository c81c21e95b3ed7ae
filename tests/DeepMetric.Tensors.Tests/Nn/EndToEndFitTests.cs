using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.Nn;

/// <summary>Whole-engine checks: a small MLP and a small CNN must actually learn a toy problem.</summary>
public sealed class EndToEndFitTests
{
    /// <summary>Full-batch Adam on cross-entropy; returns the first and the last loss.</summary>
    private static (float First, float Last) Fit(Module model, Tensor input, int[] labels, int steps)
    {
        var opt = new Adam(model.Parameters(), lr: 0.02f);
        float first = 0, last = 0;
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            var loss = Ops.CrossEntropy(model.Forward(input), labels);
            loss.Backward();
            opt.Step();
            if (step == 0)
            {
                first = loss.Item();
            }
            last = loss.Item();
        }
        return (first, last);
    }

    [Fact]
    public void Mlp_FitsConcentricRings()
    {
        // Two classes on rings of radius 0.5 and 1.5 (not linearly separable): chance cross-entropy is ln 2 ≈ 0.69.
        var rng = new Prng(3);
        const int N = 128;
        var x = new float[N * 2];
        var y = new int[N];
        for (int i = 0; i < N; i++)
        {
            y[i] = i % 2;
            double angle = rng.NextDouble() * 2 * Math.PI, radius = (y[i] == 0 ? 0.5 : 1.5) + (0.1 * rng.NextNormal());
            x[2 * i] = (float)(radius * Math.Cos(angle));
            x[(2 * i) + 1] = (float)(radius * Math.Sin(angle));
        }
        var input = Tensor.FromArray(x, N, 2);
        var model = new Sequential(new Linear(2, 32, rng: rng), new Tanh(), new Linear(32, 32, rng: rng), new ReLU(), new Linear(32, 2, rng: rng));
        var (first, last) = Fit(model, input, y, steps: 200);
        Assert.InRange(first, 0.5f, 1.2f);
        Assert.True(last < 0.1f, $"MLP loss only fell from {first} to {last}.");
    }

    [Fact]
    public void Cnn_LearnsBarOrientation()
    {
        // 8×8 images with one horizontal or vertical bar at a random place plus noise; the label is the orientation.
        var rng = new Prng(5);
        const int N = 64, S = 8;
        var x = new float[N * S * S];
        var y = new int[N];
        for (int i = 0; i < N; i++)
        {
            y[i] = i % 2;
            int at = rng.NextInt(S);
            for (int r = 0; r < S; r++)
            {
                for (int c = 0; c < S; c++)
                {
                    bool on = y[i] == 0 ? r == at : c == at;
                    x[(i * S * S) + (r * S) + c] = (on ? 1f : 0f) + (0.1f * (float)rng.NextNormal());
                }
            }
        }
        var input = Tensor.FromArray(x, N, 1, S, S);
        var model = new Sequential(
            new Conv2d(1, 8, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
            new Conv2d(8, 8, 3, padding: 1, rng: rng), new ReLU(), new GlobalAvgPool2d(),
            new Linear(8, 2, rng: rng));
        var (first, last) = Fit(model, input, y, steps: 120);
        Assert.True(last < 0.15f, $"CNN loss only fell from {first} to {last}.");
    }
}

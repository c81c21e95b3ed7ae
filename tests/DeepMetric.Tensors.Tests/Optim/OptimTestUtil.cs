using DeepMetric.Tensors.Optim;

namespace DeepMetric.Tensors.Tests.Optim;

/// <summary>Synthetic gradient sequences and a driver that feeds them to an optimizer.</summary>
internal static class OptimTestUtil
{
    public static readonly float[] Initial = [0.5f, -1.25f, 2f, 0f, -0.3f];

    /// <summary>A fixed, sign-changing gradient for step t (1-based) and element i, independent of the parameters.</summary>
    public static float Gradient(int t, int i) => (float)((Math.Sin((1.3 * t) + (0.7 * i)) * (1.0 + (0.25 * i))) + (0.1 * (i - 2)));

    public static float[] Gradients(int t, int n)
    {
        var g = new float[n];
        for (int i = 0; i < n; i++)
        {
            g[i] = Gradient(t, i);
        }
        return g;
    }

    public static Tensor Parameter(float[]? values = null) =>
        new Tensor((float[])(values ?? Initial).Clone(), [(values ?? Initial).Length]) { RequiresGrad = true };

    /// <summary>Runs <paramref name="steps"/> steps with the synthetic gradients, starting at step <paramref name="firstStep"/>.</summary>
    public static void Run(Optimizer optimizer, Tensor p, int steps, int firstStep = 1)
    {
        for (int t = firstStep; t < firstStep + steps; t++)
        {
            p.Grad = Tensor.FromArray(Gradients(t, p.Size), p.Shape);
            optimizer.Step();
        }
    }

    public static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);
}

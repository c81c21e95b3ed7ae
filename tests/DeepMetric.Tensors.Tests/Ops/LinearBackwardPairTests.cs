using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// Linear with a product deep enough to be split along its depth and input and weight gradients large enough to run
/// side by side on the two workers: values and gradients against a double-precision loop, and bit for bit the same
/// with one worker range or two.
/// </summary>
public sealed class LinearBackwardPairTests
{
    private static (float[] Dx, float[] Dw, float[] Db, float[] G, float[] X, float[] W, float[] Y, float[] B) Run(int n, int k, int o)
    {
        var x = GradCheck.Random(31, [n, k]);
        var w = GradCheck.Random(32, [o, k]);
        var b = GradCheck.Random(33, [o]);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        var y = Ops.Linear(x, w, b);
        var g = GradCheck.Random(34, y.Shape);
        y.Backward(g);
        return (x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray(), g.ToArray(), x.ToArray(), w.ToArray(), y.ToArray(), b.ToArray());
    }

    [Theory]
    [InlineData(64, 1100, 40)] // 2.8M multiply-adds per product, depth 17× the outputs: split and paired
    [InlineData(64, 1100, 200)] // paired gradients, forward not split (depth < 8× the outputs)
    [InlineData(5, 7, 3)] // small: one after the other
    public void ValuesAndGradientsMatchDoubleLoop(int n, int k, int o)
    {
        var r = Run(n, k, o);
        var y = new double[n * o];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < o; j++)
            {
                double acc = r.B[j];
                for (int l = 0; l < k; l++)
                {
                    acc += (double)r.X[(i * k) + l] * r.W[(j * k) + l];
                }
                y[(i * o) + j] = acc;
            }
        }
        Assertions.AllClose(y, r.Y, 1e-4, 1e-4);
        var dx = new double[n * k];
        var dw = new double[o * k];
        var db = new double[o];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < o; j++)
            {
                double gij = r.G[(i * o) + j];
                db[j] += gij;
                for (int l = 0; l < k; l++)
                {
                    dx[(i * k) + l] += gij * r.W[(j * k) + l];
                    dw[(j * k) + l] += gij * r.X[(i * k) + l];
                }
            }
        }
        Assertions.AllClose(dx, r.Dx, 1e-4, 1e-4);
        Assertions.AllClose(dw, r.Dw, 1e-4, 1e-4);
        Assertions.AllClose(db, r.Db, 1e-5, 1e-5);
    }

    [Fact]
    public void OneOrTwoWorkerRangesGiveTheSameBits()
    {
        var parallel = Run(64, 1100, 40);
        var serial = OneWorkerRange.Run(() => Run(64, 1100, 40));
        Assert.Equal(serial.Y, parallel.Y);
        Assert.Equal(serial.Dx, parallel.Dx);
        Assert.Equal(serial.Dw, parallel.Dw);
        Assert.Equal(serial.Db, parallel.Db);
    }
}

using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class PoolTests
{
    private static double[] Reference(float[] x, int n, int c, int h, int w, int k, int s, int p, bool max, out int ho, out int wo)
    {
        ho = ((h + (2 * p) - k) / s) + 1;
        wo = ((w + (2 * p) - k) / s) + 1;
        var y = new double[n * c * ho * wo];
        int at = 0;
        for (int pl = 0; pl < n * c; pl++)
        {
            for (int oh = 0; oh < ho; oh++)
            {
                for (int ow = 0; ow < wo; ow++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = (oh * s) - p + i, iw = (ow * s) - p + j;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                            {
                                continue;
                            }
                            double v = x[(pl * h * w) + (ih * w) + iw];
                            acc = max ? Math.Max(acc, v) : acc + v;
                        }
                    }
                    y[at++] = max ? acc : acc / (k * k);
                }
            }
        }
        return y;
    }

    /// <summary>Distinct values (a shuffled grid), so max-pool windows have no ties and finite differences are valid.</summary>
    private static Tensor NoTies(ulong seed, int[] shape)
    {
        int size = shape.Aggregate(1, (a, b) => a * b);
        var v = new float[size];
        for (int i = 0; i < size; i++)
        {
            v[i] = (i - (size / 2)) * 0.05f;
        }
        new Prng(seed).Shuffle(v.AsSpan());
        return Tensor.FromArray(v, shape);
    }

    public static TheoryData<int[]> Cases => new()
    {
        // n, c, h, w, kernel, stride, padding
        new[] { 1, 1, 4, 4, 2, 2, 0 },
        new[] { 2, 3, 7, 6, 2, 2, 0 },
        new[] { 2, 2, 7, 8, 3, 2, 1 },
        new[] { 1, 2, 6, 5, 3, 1, 0 },
        new[] { 3, 1, 5, 9, 2, 1, 1 },
        new[] { 2, 2, 3, 3, 3, 3, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPoolForwardAndGradient(int[] a)
    {
        var (n, c, h, w, k, s, p) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
        var x = NoTies(1, [n, c, h, w]);
        var y = Ops.MaxPool2d(x, k, s, p);
        var expected = Reference(x.ToArray(), n, c, h, w, k, s, p, true, out int ho, out int wo);
        Assert.Equal([n, c, ho, wo], y.Shape);
        Assertions.AllClose(expected, y.ToArray(), 0, 0);
        // eps below half the value spacing keeps every window's winner fixed.
        GradCheck.Check(t => Ops.MaxPool2d(t[0], k, s, p), [x], eps: 1e-2f);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AvgPoolForwardAndGradient(int[] a)
    {
        var (n, c, h, w, k, s, p) = (a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
        var x = GradCheck.Random(2, [n, c, h, w]);
        var y = Ops.AvgPool2d(x, k, s, p);
        var expected = Reference(x.ToArray(), n, c, h, w, k, s, p, false, out int ho, out int wo);
        Assert.Equal([n, c, ho, wo], y.Shape);
        Assertions.AllClose(expected, y.ToArray());
        GradCheck.Check(t => Ops.AvgPool2d(t[0], k, s, p), [x]);
    }

    [Fact]
    public void StrideDefaultsToKernel()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 1, 1, 4, 4);
        Assertions.AllClose([6f, 8, 14, 16], Ops.MaxPool2d(x, 2).ToArray());
        Assertions.AllClose([3.5f, 5.5f, 11.5f, 13.5f], Ops.AvgPool2d(x, 2).ToArray());
    }

    [Fact]
    public void MaxPoolGradientGoesToTheFirstMaximumOnTies()
    {
        var x = Tensor.FromArray([1, 1, 1, 1], 1, 1, 2, 2);
        x.RequiresGrad = true;
        Ops.Sum(Ops.MaxPool2d(x, 2)).Backward();
        Assertions.AllClose([1f, 0, 0, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void MaxPoolPropagatesNaN()
    {
        var x = Tensor.FromArray([1, float.NaN, 3, 2], 1, 1, 2, 2);
        Assert.True(float.IsNaN(Ops.MaxPool2d(x, 2).Item()));
    }

    [Fact]
    public void GlobalAvgPoolMatchesMeanAndGradient()
    {
        var x = GradCheck.Random(3, [2, 3, 4, 5]);
        var y = Ops.GlobalAvgPool2d(x);
        Assert.Equal([2, 3], y.Shape);
        var xs = x.ToArray();
        var expected = new double[6];
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 20; j++)
            {
                expected[i] += xs[(i * 20) + j] / 20.0;
            }
        }
        Assertions.AllClose(expected, y.ToArray());
        GradCheck.Check(t => Ops.GlobalAvgPool2d(t[0]), [x]);
        Assert.Equal(7f, Ops.GlobalAvgPool2d(Tensor.Full(7f, 1, 1, 1, 1)).Item());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var x = Tensor.Zeros(1, 1, 4, 4);
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => Ops.MaxPool2d(Tensor.Zeros(4, 4), 2)).Message);
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 4, 4), 2)).Message);
        Assert.Contains("[N, C, H, W]", Assert.Throws<ArgumentException>(() => Ops.GlobalAvgPool2d(Tensor.Zeros(1, 4))).Message);
        Assert.Contains("larger than", Assert.Throws<ArgumentException>(() => Ops.MaxPool2d(x, 5)).Message);
        Assert.Contains("larger than", Assert.Throws<ArgumentException>(() => Ops.AvgPool2d(Tensor.Zeros(1, 1, 2, 8), 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.MaxPool2d(x, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.MaxPool2d(x, 2, stride: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.AvgPool2d(x, 2, padding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.AvgPool2d(x, 2, padding: -1));
    }
}

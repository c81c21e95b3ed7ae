using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

// Forward passes of modules whose functional ops (Ops.Nn.cs, Ops.Softmax.cs) are implemented on another branch;
// these run once that branch is merged. Filter them out before then with --filter "Requires!=NnOps".
[Trait("Requires", "NnOps")]
public sealed class OpsBackedModuleTests
{
    [Theory]
    [InlineData(1, 0, 1)]
    [InlineData(2, 1, 1)]
    [InlineData(1, 2, 2)]
    public void Conv2dMatchesDirectLoop(int stride, int padding, int dilation)
    {
        const int N = 2, C = 3, O = 4, H = 7, W = 6, K = 3;
        var conv = new Conv2d(C, O, K, stride, padding, dilation, rng: new Prng(1));
        var x = Tensor.Rand(new Prng(2), [N, C, H, W], -1f, 1f);
        var y = conv.Forward(x);
        int ho = ((H + (2 * padding) - (dilation * (K - 1)) - 1) / stride) + 1;
        int wo = ((W + (2 * padding) - (dilation * (K - 1)) - 1) / stride) + 1;
        Assert.Equal([N, O, ho, wo], y.Shape);
        var expected = new double[N * O * ho * wo];
        for (int n = 0; n < N; n++)
        {
            for (int o = 0; o < O; o++)
            {
                for (int i = 0; i < ho; i++)
                {
                    for (int j = 0; j < wo; j++)
                    {
                        double s = conv.Bias![o];
                        for (int c = 0; c < C; c++)
                        {
                            for (int a = 0; a < K; a++)
                            {
                                for (int b = 0; b < K; b++)
                                {
                                    int r = (i * stride) - padding + (a * dilation);
                                    int q = (j * stride) - padding + (b * dilation);
                                    if (r >= 0 && r < H && q >= 0 && q < W)
                                    {
                                        s += (double)x[n, c, r, q] * conv.Weight[o, c, a, b];
                                    }
                                }
                            }
                        }
                        expected[(((n * O) + o) * ho * wo) + (i * wo) + j] = s;
                    }
                }
            }
        }
        Assertions.AllClose(expected, y.ToArray(), 1e-5, 1e-5);
    }

    [Fact]
    public void BatchNorm1dTrainingUsesBatchStatsAndUpdatesRunningStats()
    {
        const int N = 5, C = 3;
        var bn = new BatchNorm1d(C);
        new float[] { 1f, 2f, -0.5f }.CopyTo(bn.Weight!.Span);
        new float[] { 0f, 1f, 0.25f }.CopyTo(bn.Bias!.Span);
        var x = Tensor.Rand(new Prng(3), [N, C], -2f, 3f);
        var y = bn.Forward(x);
        var expectedRm = new double[C];
        var expectedRv = new double[C];
        for (int c = 0; c < C; c++)
        {
            double mean = 0;
            for (int n = 0; n < N; n++)
            {
                mean += x[n, c];
            }
            mean /= N;
            double ss = 0;
            for (int n = 0; n < N; n++)
            {
                ss += (x[n, c] - mean) * (x[n, c] - mean);
            }
            double inv = 1 / Math.Sqrt((ss / N) + 1e-5);
            for (int n = 0; n < N; n++)
            {
                Assertions.Close(((x[n, c] - mean) * inv * bn.Weight[c]) + bn.Bias[c], y[n, c], 1e-5, 1e-4);
            }
            expectedRm[c] = 0.1 * mean;
            expectedRv[c] = 0.9 + (0.1 * ss / (N - 1));
        }
        Assertions.AllClose(expectedRm, bn.RunningMean.ToArray());
        Assertions.AllClose(expectedRv, bn.RunningVar.ToArray());
        Assert.Equal(1, bn.NumBatchesTracked);

        bn.Eval();
        var z = bn.Forward(x);
        for (int c = 0; c < C; c++)
        {
            for (int n = 0; n < N; n++)
            {
                double e = ((x[n, c] - expectedRm[c]) / Math.Sqrt(expectedRv[c] + 1e-5) * bn.Weight[c]) + bn.Bias[c];
                Assertions.Close(e, z[n, c], 1e-5, 1e-4);
            }
        }
        Assert.Equal(1, bn.NumBatchesTracked);
        Assertions.AllClose(expectedRm, bn.RunningMean.ToArray());
    }

    [Fact]
    public void BatchNorm2dNormalisesPerChannelOverBatchAndSpace()
    {
        var bn = new BatchNorm2d(2, affine: false);
        var x = Tensor.Rand(new Prng(4), [3, 2, 4, 5], -1f, 4f);
        var y = bn.Forward(x);
        for (int c = 0; c < 2; c++)
        {
            double sum = 0, sq = 0;
            for (int n = 0; n < 3; n++)
            {
                for (int i = 0; i < 4; i++)
                {
                    for (int j = 0; j < 5; j++)
                    {
                        sum += y[n, c, i, j];
                        sq += (double)y[n, c, i, j] * y[n, c, i, j];
                    }
                }
            }
            Assertions.Close(0, sum / 60, 1e-5);
            Assertions.Close(1, sq / 60, 1e-3);
        }
    }

    [Fact]
    public void LayerNormMatchesDoubleLoop()
    {
        var ln = new LayerNorm(6);
        Init.Normal(ln.Weight!, new Prng(5));
        Init.Normal(ln.Bias!, new Prng(6));
        var x = Tensor.Rand(new Prng(7), [2, 3, 6], -2f, 2f);
        var y = ln.Forward(x);
        Assert.Equal([2, 3, 6], y.Shape);
        var xs = x.ToArray();
        var expected = new double[xs.Length];
        for (int r = 0; r < 6; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < 6; i++)
            {
                mean += xs[(r * 6) + i];
            }
            mean /= 6;
            for (int i = 0; i < 6; i++)
            {
                var += (xs[(r * 6) + i] - mean) * (xs[(r * 6) + i] - mean);
            }
            var /= 6;
            for (int i = 0; i < 6; i++)
            {
                expected[(r * 6) + i] = ((xs[(r * 6) + i] - mean) / Math.Sqrt(var + 1e-5) * ln.Weight![i]) + ln.Bias![i];
            }
        }
        Assertions.AllClose(expected, y.ToArray(), 1e-5, 1e-4);
    }

    [Fact]
    public void PoolingModulesMatchDirectLoops()
    {
        var x = Tensor.Rand(new Prng(8), [2, 3, 6, 6], -1f, 1f);
        var max = new MaxPool2d(2).Forward(x);
        var avg = new AvgPool2d(3, stride: 3).Forward(x);
        var gap = new GlobalAvgPool2d().Forward(x);
        Assert.Equal([2, 3, 3, 3], max.Shape);
        Assert.Equal([2, 3, 2, 2], avg.Shape);
        Assert.Equal([2, 3], gap.Shape);
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < 3; c++)
            {
                double total = 0;
                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 6; j++)
                    {
                        total += x[n, c, i, j];
                    }
                }
                Assertions.Close(total / 36, gap[n, c]);
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        float m = Math.Max(Math.Max(x[n, c, 2 * i, 2 * j], x[n, c, 2 * i, (2 * j) + 1]), Math.Max(x[n, c, (2 * i) + 1, 2 * j], x[n, c, (2 * i) + 1, (2 * j) + 1]));
                        Assert.Equal(m, max[n, c, i, j]);
                    }
                }
                for (int i = 0; i < 2; i++)
                {
                    for (int j = 0; j < 2; j++)
                    {
                        double s = 0;
                        for (int a = 0; a < 3; a++)
                        {
                            for (int b = 0; b < 3; b++)
                            {
                                s += x[n, c, (3 * i) + a, (3 * j) + b];
                            }
                        }
                        Assertions.Close(s / 9, avg[n, c, i, j]);
                    }
                }
            }
        }
    }

    [Fact]
    public void DropoutInTrainingDropsAboutPAndRescales()
    {
        const float P = 0.3f;
        var x = Tensor.Ones(100, 100);
        var y = new Dropout(P, new Prng(9)).Forward(x).ToArray();
        int zeros = 0;
        foreach (float v in y)
        {
            if (v == 0f)
            {
                zeros++;
            }
            else
            {
                Assertions.Close(1 / (1 - P), v, 1e-6);
            }
        }
        Assert.InRange(zeros / 10000.0, P - 0.03, P + 0.03);
        Assert.Equal(y, new Dropout(P, new Prng(9)).Forward(x).ToArray());
        var drop = new Dropout(P, new Prng(9));
        Assert.NotEqual(drop.Forward(x).ToArray(), drop.Forward(x).ToArray());
    }

    [Fact]
    public void EmbeddingGathersRowsAndKeepsIndexShape()
    {
        var emb = new Embedding(5, 3, new Prng(10));
        var y = emb.Forward(Tensor.FromArray([4f, 0f, 4f, 2f, 1f, 3f], 2, 3));
        Assert.Equal([2, 3, 3], y.Shape);
        int[] idx = [4, 0, 4, 2, 1, 3];
        for (int k = 0; k < 6; k++)
        {
            for (int d = 0; d < 3; d++)
            {
                Assert.Equal(emb.Weight[idx[k], d], y.ToArray()[(k * 3) + d]);
            }
        }
        Assert.Equal([2, 3], emb.Forward([1, 1]).Shape);
        Ops.Sum(emb.Forward(Tensor.FromArray([4f, 0f, 4f]))).Backward();
        Assertions.AllClose([1f, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2], emb.Weight.Grad!.ToArray());
    }

    [Fact]
    public void L2NormalizeGivesUnitRowsAndKeepsZeroRowsFinite()
    {
        var x = Tensor.FromArray([3f, 4f, 0f, 0f, -1f, 1f], 3, 2);
        var y = new L2Normalize().Forward(x);
        double s = Math.Sqrt(0.5);
        Assertions.AllClose([0.6, 0.8, 0, 0, -s, s], y.ToArray());
    }

    [Fact]
    public void SmallConvNetTrainsEndToEnd()
    {
        var net = new Sequential(
            new Conv2d(1, 4, 3, padding: 1, rng: new Prng(11)), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
            new GlobalAvgPool2d(), new Dropout(0.1f, new Prng(12)), new Linear(4, 2, rng: new Prng(13)), new L2Normalize());
        var x = Tensor.Rand(new Prng(14), [3, 1, 6, 6]);
        var y = net.Forward(x);
        Assert.Equal([3, 2], y.Shape);
        Ops.Sum(y).Backward();
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
        net.Eval();
        Assert.Equal([3, 2], net.Forward(x).Shape);
    }
}

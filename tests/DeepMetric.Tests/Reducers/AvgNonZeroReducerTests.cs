using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Reducers;

public sealed class AvgNonZeroReducerTests
{
    private static Tensor Values(float[] v)
    {
        var t = Tensor.FromArray(v);
        t.RequiresGrad = true;
        return t;
    }

    // Long enough for several summation blocks, with zeros, negatives and positives mixed.
    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(1000)]
    [InlineData(20_000)]
    public void ValueAndGradient_MatchDoubleLoop(int length)
    {
        var rng = new Prng((ulong)length);
        var v = new float[length];
        for (int i = 0; i < length; i++)
        {
            v[i] = (i % 5) switch { 0 => 0f, 1 => -rng.NextFloat(), _ => rng.NextFloat() * 3f };
        }
        v[0] = 0.25f;
        var t = Values(v);
        var r = new AvgNonZeroReducer().Reduce(new LossTerm("t", t, LossTermKind.Triplet, null), [0]);
        r.Backward();
        double sum = 0;
        int count = 0;
        foreach (float x in v)
        {
            if (x > 0)
            {
                sum += x;
                count++;
            }
        }
        Assert.Equal(sum / count, r.Item(), 5);
        var g = t.Grad!.ToArray();
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(v[i] > 0 ? 1.0 / count : 0.0, g[i], 7);
        }
    }

    [Fact]
    public void NoPositiveValue_GivesZeroAndZeroGradient()
    {
        var t = Values([0f, -1f, -0.5f, 0f]);
        var r = new AvgNonZeroReducer().Reduce(new LossTerm("t", t, LossTermKind.Element, null), [0]);
        r.Backward();
        Assert.Equal(0f, r.Item());
        Assert.Equal(new float[4], t.Grad!.ToArray());
    }

    [Fact]
    public void NaNValue_MakesTheLossNaN()
    {
        // A broken value is not silently dropped.
        var t = Values([1f, float.NaN, 2f]);
        var r = new AvgNonZeroReducer().Reduce(new LossTerm("t", t, LossTermKind.Element, null), [0]);
        Assert.True(float.IsNaN(r.Item()));
    }
}

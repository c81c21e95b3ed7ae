using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class ProxyAnchorLossTests
{
    private static double Expected(ProxyAnchorLoss loss, float[] x, int[] labels, int d)
    {
        int c = loss.NumClasses, n = labels.Length;
        var s = ClassifierReference.Cosines(x, n, loss.Proxies.ToArray(), c, d);
        double a = loss.Alpha, delta = loss.Margin, posTotal = 0, negTotal = 0;
        int withPos = 0;
        for (int p = 0; p < c; p++)
        {
            double posSum = 0, negSum = 0;
            bool any = false;
            for (int i = 0; i < n; i++)
            {
                if (labels[i] == p)
                {
                    any = true;
                    posSum += Math.Exp(-a * (s[i, p] - delta));
                }
                else
                {
                    negSum += Math.Exp(a * (s[i, p] + delta));
                }
            }
            if (any)
            {
                withPos++;
                posTotal += Math.Log(1 + posSum);
            }
            negTotal += Math.Log(1 + negSum);
        }
        return (posTotal / withPos) + (negTotal / c);
    }

    [Theory]
    [InlineData(32f, 0.1f, new[] { 0, 2, 1, 1, 4, 0 })] // class 3 has no positive
    [InlineData(4f, 0.3f, new[] { 1, 1, 1 })]
    [InlineData(32f, 0.1f, new[] { 2 })]
    public void Value_MatchesDoubleLoop(float alpha, float delta, int[] labels)
    {
        var loss = new ProxyAnchorLoss(5, 4, margin: delta, alpha: alpha, seed: 3);
        var x = Fixtures.RandomEmbeddings(40, labels.Length, 4);
        double expected = Expected(loss, x.ToArray(), labels, 4);
        Assert.Equal(expected, loss.Compute(x, labels).Item(), expected * 1e-4 + 1e-4);
    }

    [Fact]
    public void Terms_AreOnePerProxyWithPositives_AndOnePerProxy()
    {
        var loss = new ProxyAnchorLoss(5, 3);
        var terms = loss.ComputeTerms(Fixtures.RandomEmbeddings(1, 4, 3), [0, 0, 2, 4]);
        Assert.Equal(3, terms[0].Values.Size);
        Assert.Equal(5, terms[1].Values.Size);
    }

    [Fact]
    public void Gradient_EmbeddingsAndProxies_MatchFiniteDifferences()
    {
        var loss = new ProxyAnchorLoss(4, 3, margin: 0.1f, alpha: 3f, seed: 6);
        int[] labels = [0, 2, 1, 1, 2, 0];
        GradCheck.Check(t => loss.Compute(t[0], labels), [GradCheck.Random(7, [labels.Length, 3]), loss.Proxies]);
    }

    [Fact]
    public void Stress_Alpha32_WrongProxies_DuplicatesAndOneSample_AreFinite()
    {
        var loss = new ProxyAnchorLoss(2, 3, seed: 1);
        var p = loss.Proxies.ToArray();
        // Both embeddings sit on the other class's proxy (s = 1 for the negative: e^{32·1.1}).
        var x = Tensor.FromArray([p[3], p[4], p[5], p[3], p[4], p[5]], 2, 3);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 0]);
        Assert.True(float.IsFinite(l.Item()) && l.Item() > 30f, $"loss {l.Item()}");
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Proxies.Grad);
        var one = Fixtures.RandomEmbeddings(2, 1, 3);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void Proxies_AreKaimingNormalFanOut_AndSeeded()
    {
        var loss = new ProxyAnchorLoss(400, 8, seed: 9);
        var v = loss.Proxies.ToArray();
        double var = v.Select(f => (double)f * f).Average();
        Assert.InRange(var, 2.0 / 400 * 0.85, 2.0 / 400 * 1.15);
        Assert.Equal(v, new ProxyAnchorLoss(400, 8, seed: 9).Proxies.ToArray());
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyAnchorLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyAnchorLoss(3, 2, alpha: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxyAnchorLoss(3, 2, margin: float.NaN));
    }
}

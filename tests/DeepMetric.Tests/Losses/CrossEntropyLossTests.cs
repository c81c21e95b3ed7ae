using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class CrossEntropyLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    private static double Expected(CrossEntropyLoss loss, float[] x, int[] labels, int d)
    {
        var w = loss.Weight.ToArray();
        var b = loss.Bias?.ToArray();
        int c = loss.NumClasses;
        double eps = loss.LabelSmoothing, total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var z = new double[c];
            for (int j = 0; j < c; j++)
            {
                double s = b is null ? 0 : b[j];
                for (int k = 0; k < d; k++)
                {
                    s += (double)x[(i * d) + k] * w[(j * d) + k];
                }
                z[j] = s;
            }
            // −Σ q log p with q = (1−ε) onehot + ε/C.
            double l = 0;
            for (int j = 0; j < c; j++)
            {
                double q = (j == labels[i] ? 1 - eps : 0) + (eps / c);
                l += q * ClassifierReference.CrossEntropy(z, j);
            }
            total += l;
        }
        return total / labels.Length;
    }

    [Theory]
    [InlineData(true, 0f)]
    [InlineData(false, 0f)]
    [InlineData(true, 0.1f)]
    [InlineData(false, 1f)]
    public void Value_MatchesDoubleLoop(bool bias, float smoothing)
    {
        var loss = new CrossEntropyLoss(4, 5, bias, smoothing, seed: 3);
        var x = Fixtures.RandomEmbeddings(1, Labels.Length, 5);
        Assert.Equal(Expected(loss, x.ToArray(), Labels, 5), loss.Compute(x, Labels).Item(), 4);
    }

    [Fact]
    public void Value_MatchesOpsCrossEntropy_AndLogits()
    {
        var loss = new CrossEntropyLoss(4, 3, labelSmoothing: 0.2f, seed: 9);
        var x = Fixtures.RandomEmbeddings(2, Labels.Length, 3);
        var viaOps = Ops.CrossEntropy(loss.Logits(x), Labels, 0.2f).Item();
        Assert.Equal(viaOps, loss.Compute(x, Labels).Item(), 4);
    }

    [Fact]
    public void Gradient_EmbeddingsWeightAndBias_MatchFiniteDifferences()
    {
        var loss = new CrossEntropyLoss(4, 3, labelSmoothing: 0.1f, seed: 1);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(3, [Labels.Length, 3]), loss.Weight, loss.Bias!]);
    }

    [Fact]
    public void Parameters_AreRegistered_AndSeeded()
    {
        var a = new CrossEntropyLoss(3, 2, seed: 5);
        var b = new CrossEntropyLoss(3, 2, seed: 5);
        var c = new CrossEntropyLoss(3, 2, seed: 6);
        Assert.Equal(["weight", "bias"], a.NamedParameters().Select(p => p.Key));
        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.NotEqual(a.Weight.ToArray(), c.Weight.ToArray());
        Assert.NotEqual(a.Weight.ToArray().Take(3), a.Bias!.ToArray());
        Assert.Single(new CrossEntropyLoss(3, 2, bias: false).Parameters());
    }

    [Fact]
    public void OneSample_AndDuplicates_AreFinite()
    {
        var loss = new CrossEntropyLoss(3, 2);
        var one = Fixtures.RandomEmbeddings(4, 1, 2);
        var l1 = loss.Compute(one, [2]);
        l1.Backward();
        Fixtures.AssertFinite(one.Grad);
        var dup = Tensor.FromArray([1f, 2f, 1f, 2f, 0f, 0f], 3, 2);
        dup.RequiresGrad = true;
        loss.Compute(dup, [0, 1, 2]).Backward();
        Fixtures.AssertFinite(dup.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var loss = new CrossEntropyLoss(3, 2);
        var x = Fixtures.RandomEmbeddings(5, 2, 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(x, [0, 3]));
        Assert.Equal("labels", ex.ParamName);
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(x, [-1, 0]));
        var ex2 = Assert.Throws<ArgumentException>(() => loss.Compute(Fixtures.RandomEmbeddings(5, 2, 4), [0, 1]));
        Assert.Contains("size 2", ex2.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => loss.Compute(x, [0, 1], refEmbeddings: x, refLabels: [0, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyLoss(2, 2, labelSmoothing: 1.5f));
    }
}

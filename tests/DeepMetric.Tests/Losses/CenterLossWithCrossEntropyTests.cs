using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class CenterLossWithCrossEntropyTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    private static double Expected(CenterLossWithCrossEntropy loss, float[] x, int[] labels, float[] centers, int d)
    {
        var w = loss.Weight.ToArray();
        var b = loss.Bias?.ToArray();
        int c = loss.NumClasses;
        double total = 0;
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
            double sq = 0;
            for (int k = 0; k < d; k++)
            {
                double diff = (double)x[(i * d) + k] - centers[(labels[i] * d) + k];
                sq += diff * diff;
            }
            total += ClassifierReference.CrossEntropy(z, labels[i]) + (loss.Lambda * 0.5 * sq);
        }
        return total / labels.Length;
    }

    [Theory]
    [InlineData(true, 0.003f)]
    [InlineData(false, 0.5f)]
    [InlineData(true, 0f)]
    public void Value_MatchesDoubleLoop(bool bias, float lambda)
    {
        var loss = new CenterLossWithCrossEntropy(4, 3, lambda, bias: bias, seed: 4);
        Fixtures.RandomEmbeddings(9, 4, 3).ReadOnlySpan.CopyTo(loss.Centers.Span);
        var before = loss.Centers.ToArray();
        var x = Fixtures.RandomEmbeddings(1, Labels.Length, 3);
        double expected = Expected(loss, x.ToArray(), Labels, before, 3);
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), (expected * 1e-5) + 1e-5);
    }

    [Fact]
    public void Defaults_Terms_AndRegistration()
    {
        var loss = new CenterLossWithCrossEntropy(3, 2);
        Assert.Equal(0.003f, loss.Lambda);
        Assert.Equal(0.5f, loss.Alpha);
        Assert.Equal(["weight", "bias"], loss.NamedParameters().Select(p => p.Key));
        Assert.Equal(["centers"], loss.NamedBuffers().Select(p => p.Key));
        loss.Eval();
        var terms = loss.ComputeTerms(Fixtures.RandomEmbeddings(1, 4, 2), [0, 1, 2, 0]);
        Assert.Equal(["softmax_loss", "center_loss"], terms.Select(t => t.Name));
        Assert.All(terms, t => Assert.Equal(4, t.Values.Size));
    }

    [Fact]
    public void Update_MatchesCenterLossRule_AndCopiesTheBatch()
    {
        var joint = new CenterLossWithCrossEntropy(3, 2, alpha: 0.5f);
        var alone = new CenterLoss(3, 2, alpha: 0.5f);
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2);
        joint.Compute(x, [0, 0, 1]).Backward();
        alone.Compute(x, [0, 0, 1]);
        Assert.Equal(alone.Centers.ToArray(), joint.Centers.ToArray());
        var after = joint.Centers.ToArray();
        x.Span.Fill(-7f);
        Assert.Equal(after, joint.Centers.ToArray());
        Assert.Null(joint.Centers.Grad);
    }

    [Fact]
    public void Gradient_EmbeddingsWeightAndBias_MatchFiniteDifferences()
    {
        var loss = new CenterLossWithCrossEntropy(4, 3, lambda: 0.3f, seed: 1);
        Fixtures.RandomEmbeddings(9, 4, 3).ReadOnlySpan.CopyTo(loss.Centers.Span);
        loss.Eval(); // the centres must not move between finite-difference evaluations
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(3, [Labels.Length, 3]), loss.Weight, loss.Bias!]);
    }

    [Fact]
    public void Stress_LargeEmbeddings_Duplicates_OneSample_AreFinite()
    {
        var loss = new CenterLossWithCrossEntropy(3, 2, seed: 2);
        var x = Tensor.FromArray([1e4f, -1e4f, 1e4f, -1e4f], 2, 2);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [2, 2]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Weight.Grad);
        Fixtures.AssertFinite(loss.Centers);
        var one = Fixtures.RandomEmbeddings(5, 1, 2);
        loss.Compute(one, [0]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var loss = new CenterLossWithCrossEntropy(3, 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, 3]));
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new float[6], loss.Centers.ToArray());
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new CenterLossWithCrossEntropy(3, 2, lambda: -1f)).ParamName);
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new CenterLossWithCrossEntropy(3, 2, alpha: float.NaN)).ParamName);
    }
}

using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SoftTripleLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0]; // classes 2 and 3 are singletons

    /// <summary>The paper's loss in double: soft-max similarity over centres, margin on the target, CE, + centre regulariser.</summary>
    private static double Expected(SoftTripleLoss loss, float[] x, int[] labels, int d)
    {
        int c = loss.NumClasses, k = loss.CentersPerClass, n = labels.Length;
        var rowCos = ClassifierReference.Cosines(x, n, loss.Centers.ToArray(), c * k, d);
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var z = new double[c];
            for (int j = 0; j < c; j++)
            {
                double max = double.NegativeInfinity;
                for (int t = 0; t < k; t++)
                {
                    max = Math.Max(max, rowCos[i, (j * k) + t]);
                }
                double norm = 0, weighted = 0;
                for (int t = 0; t < k; t++)
                {
                    double s = rowCos[i, (j * k) + t], e = Math.Exp((s - max) / loss.Gamma);
                    norm += e;
                    weighted += e * s;
                }
                z[j] = loss.Lambda * ((weighted / norm) - (j == labels[i] ? loss.Margin : 0));
            }
            total += ClassifierReference.CrossEntropy(z, labels[i]);
        }
        double reg = 0;
        if (k > 1)
        {
            var w = Reference.Rows(loss.Centers.ToArray(), c * k, d).Select(Reference.Normalize).ToArray();
            for (int j = 0; j < c; j++)
            {
                for (int t = 0; t < k; t++)
                {
                    for (int s = t + 1; s < k; s++)
                    {
                        double sq = 0;
                        for (int q = 0; q < d; q++)
                        {
                            double diff = w[(j * k) + s][q] - w[(j * k) + t][q];
                            sq += diff * diff;
                        }
                        reg += Math.Sqrt(sq + 1e-5);
                    }
                }
            }
            reg *= loss.RegularizerWeight / (c * k * (k - 1.0));
        }
        return (total / n) + reg;
    }

    [Theory]
    [InlineData(10, 20f, 0.1f, 0.01f, 0.2f, 1f)]
    [InlineData(3, 5f, 0.5f, 0.2f, 0.7f, 3f)]
    [InlineData(1, 20f, 0.1f, 0.01f, 0.2f, 1f)]
    [InlineData(4, 20f, 0.1f, 0.01f, 0f, 0.2f)]
    public void Value_MatchesDoubleLoop(int k, float lambda, float gamma, float margin, float tau, float embeddingScale)
    {
        var loss = new SoftTripleLoss(4, 5, k, lambda, gamma, margin, tau, seed: 3);
        Assert.Equal([4 * k, 5], loss.Centers.Shape);
        var x = Tensor.FromArray([.. Fixtures.RandomEmbeddings(13, Labels.Length, 5).ToArray().Select(v => v * embeddingScale)], Labels.Length, 5);
        double expected = Expected(loss, x.ToArray(), Labels, 5);
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), (expected * 1e-4) + 1e-4);
    }

    [Fact]
    public void Value_OneClassBatch_And_OneSample_MatchDoubleLoop()
    {
        var loss = new SoftTripleLoss(3, 4, centersPerClass: 2, regularizerWeight: 0.2f, seed: 8);
        foreach (var labels in new[] { new[] { 1, 1, 1 }, new[] { 2 } })
        {
            var x = Fixtures.RandomEmbeddings(4, labels.Length, 4);
            double expected = Expected(loss, x.ToArray(), labels, 4);
            Assert.Equal(expected, loss.Compute(x, labels).Item(), (expected * 1e-4) + 1e-4);
        }
    }

    [Fact]
    public void Terms_LossPerEmbedding_AndRegulariserOnlyWithSeveralCentres()
    {
        var x = Fixtures.RandomEmbeddings(1, 4, 3);
        var terms = new SoftTripleLoss(3, 3, centersPerClass: 2, regularizerWeight: 0.2f).ComputeTerms(x, [0, 1, 2, 0]);
        Assert.Equal(["loss", "center_reg"], terms.Select(t => t.Name));
        Assert.Equal(4, terms[0].Values.Size);
        Assert.Equal(LossTermKind.AlreadyReduced, terms[1].Kind);
        Assert.Equal(["loss"], new SoftTripleLoss(3, 3, centersPerClass: 1).ComputeTerms(x, [0, 1, 2, 0]).Select(t => t.Name));
        Assert.Equal(["centers"], new SoftTripleLoss(3, 3).NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void Gradient_EmbeddingsAndCenters_MatchFiniteDifferences()
    {
        var loss = new SoftTripleLoss(3, 3, centersPerClass: 3, lambda: 5f, gamma: 0.3f, margin: 0.1f, regularizerWeight: 0.5f, seed: 7);
        int[] labels = [0, 2, 1, 1, 2, 0];
        GradCheck.Check(t => loss.Compute(t[0], labels), [GradCheck.Random(8, [labels.Length, 3]), loss.Centers]);
    }

    [Fact]
    public void Gradient_PaperDefaults_MatchFiniteDifferences()
    {
        var loss = new SoftTripleLoss(2, 3, centersPerClass: 2, regularizerWeight: 0.2f, seed: 2);
        int[] labels = [0, 1, 1];
        GradCheck.Check(t => loss.Compute(t[0], labels), [GradCheck.Random(5, [labels.Length, 3]), loss.Centers], eps: 2e-4f, absTol: 1e-2, relTol: 1e-2);
    }

    [Fact]
    public void Stress_LargeLambda_WrongClass_DuplicatedEmbeddingsAndCentres_AreFinite()
    {
        var loss = new SoftTripleLoss(2, 3, centersPerClass: 3, lambda: 200f, gamma: 0.01f, seed: 1);
        var w = loss.Centers.Span;
        // All centres of class 1 coincide (regulariser distance 0); both embeddings sit on them but are labelled 0.
        for (int r = 4; r < 6; r++)
        {
            w.Slice(9, 3).CopyTo(w.Slice(r * 3, 3));
        }
        var x = Tensor.FromArray([w[9], w[10], w[11], w[9], w[10], w[11]], 2, 3);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [0, 0]);
        Assert.True(float.IsFinite(l.Item()) && l.Item() > 10f, $"loss {l.Item()}");
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Centers.Grad);
        var one = Fixtures.RandomEmbeddings(2, 1, 3);
        loss.Compute(one, [1]).Backward();
        Fixtures.AssertFinite(one.Grad);
        var zero = Tensor.Zeros(1, 3);
        zero.RequiresGrad = true;
        loss.Compute(zero, [0]).Backward();
        Fixtures.AssertFinite(zero.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, 3]));
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 1, 2), [-1]));
        Assert.Throws<ArgumentException>(() => new SoftTripleLoss(3, 2).Compute(Fixtures.RandomEmbeddings(1, 1, 3), [0]));
        Assert.Equal("centersPerClass", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2, centersPerClass: 0)).ParamName);
        Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2, lambda: 0f)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2, gamma: float.NaN)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2, margin: -0.1f)).ParamName);
        Assert.Equal("regularizerWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new SoftTripleLoss(3, 2, regularizerWeight: -1f)).ParamName);
    }
}

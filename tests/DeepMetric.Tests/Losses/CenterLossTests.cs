using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class CenterLossTests
{
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    private static double Expected(float[] x, int[] labels, float[] centers, int d)
    {
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            for (int k = 0; k < d; k++)
            {
                double diff = (double)x[(i * d) + k] - centers[(labels[i] * d) + k];
                total += 0.5 * diff * diff;
            }
        }
        return total / labels.Length;
    }

    [Fact]
    public void Value_MatchesDoubleLoop_WithTheCentresBeforeTheUpdate()
    {
        var loss = new CenterLoss(4, 3);
        Fixtures.RandomEmbeddings(9, 4, 3).ReadOnlySpan.CopyTo(loss.Centers.Span);
        var before = loss.Centers.ToArray();
        var x = Fixtures.RandomEmbeddings(1, Labels.Length, 3);
        double expected = Expected(x.ToArray(), Labels, before, 3);
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), (expected * 1e-5) + 1e-5);
        Assert.NotEqual(before, loss.Centers.ToArray());
    }

    [Fact]
    public void Update_FollowsThePaperRule_WorkedByHand()
    {
        var loss = new CenterLoss(3, 2, alpha: 0.5f);
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2);
        // Old centres are 0: loss = (½·5 + ½·25 + ½·61)/3.
        Assert.Equal((2.5 + 12.5 + 30.5) / 3, loss.Compute(x, [0, 0, 1]).Item(), 5);
        // Class 0 (n=2): Δ = ((0−1)+(0−3), (0−2)+(0−4))/3 = (−4/3, −2) → c = 0 − ½Δ = (2/3, 1).
        // Class 1 (n=1): Δ = (−5, −6)/2 → c = (2.5, 3)/2 = (1.25, 1.5). Class 2 is absent: stays 0.
        AssertClose([2f / 3, 1f, 1.25f, 1.5f, 0f, 0f], loss.Centers.ToArray());
        // Second step, x = (1, 1) of class 0 and (0, 3) of class 2:
        // class 0 (n=1): Δ = (2/3 − 1, 1 − 1)/2 = (−1/6, 0) → c = (2/3 + 1/12, 1) = (0.75, 1);
        // class 2 (n=1): Δ = (0, −3)/2 → c = (0, 0.75); class 1 stays.
        loss.Compute(Tensor.FromArray([1f, 1f, 0f, 3f], 2, 2), [0, 2]);
        AssertClose([0.75f, 1f, 1.25f, 1.5f, 0f, 0.75f], loss.Centers.ToArray());
    }

    [Fact]
    public void Update_CopiesTheBatch_AndKeepsTheSameBufferTensor()
    {
        var loss = new CenterLoss(2, 2);
        var centers = loss.Centers;
        var x = Tensor.FromArray([2f, 4f, 6f, 8f], 2, 2);
        x.RequiresGrad = true;
        loss.Compute(x, [0, 1]).Backward();
        var after = loss.Centers.ToArray();
        // A training loop may recycle the batch buffer: the centres must not change with it.
        x.Span.Fill(1000f);
        Assert.Equal(after, loss.Centers.ToArray());
        Assert.Same(centers, loss.Centers);
        Assert.Same(centers, Assert.Single(loss.NamedBuffers()).Value);
        Assert.Equal("centers", Assert.Single(loss.NamedBuffers()).Key);
        Assert.Empty(loss.Parameters());
        Assert.Null(loss.Centers.Grad);
    }

    [Fact]
    public void Update_InsideTensorScopes_WithRecycledOpBuffers_MatchesTheRule()
    {
        var loss = new CenterLoss(2, 2);
        var w = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        w.RequiresGrad = true;
        for (int step = 0; step < 3; step++)
        {
            using (TensorScope.Enter())
            {
                // Embeddings from an op live in pooled buffers that the next step overwrites.
                var emb = Ops.Mul(w, 2f);
                loss.Compute(emb, [0, 1]).Backward();
            }
        }
        // Each class has n = 1 and target x = (2, 4) / (6, 8): c ← c − ½·(c − x)/2 = ¾c + ¼x, three times from 0.
        double f = 1 - Math.Pow(0.75, 3);
        AssertClose([(float)(2 * f), (float)(4 * f), (float)(6 * f), (float)(8 * f)], loss.Centers.ToArray());
    }

    [Fact]
    public void EvalMode_DoesNotUpdate()
    {
        var loss = new CenterLoss(2, 2);
        loss.Eval();
        loss.Compute(Tensor.FromArray([2f, 4f], 1, 2), [1]);
        Assert.Equal(new float[4], loss.Centers.ToArray());
        loss.Train();
        loss.Compute(Tensor.FromArray([2f, 4f], 1, 2), [1]);
        AssertClose([0f, 0f, 0.5f, 1f], loss.Centers.ToArray());
    }

    [Fact]
    public void Gradient_Embeddings_MatchFiniteDifferences_AndEqualXMinusCentre()
    {
        var loss = new CenterLoss(4, 3);
        Fixtures.RandomEmbeddings(9, 4, 3).ReadOnlySpan.CopyTo(loss.Centers.Span);
        loss.Eval(); // finite differences re-evaluate the loss: the centres must stay put
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(2, [Labels.Length, 3])]);
        var x = Fixtures.RandomEmbeddings(3, Labels.Length, 3);
        loss.Compute(x, Labels).Backward();
        var c = loss.Centers.ToArray();
        var xs = x.ToArray();
        var g = x.Grad!.ToArray();
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal((xs[(i * 3) + k] - c[(Labels[i] * 3) + k]) / Labels.Length, g[(i * 3) + k], 5);
            }
        }
    }

    [Fact]
    public void Stress_LargeValues_Duplicates_OneSample_AreFinite()
    {
        var loss = new CenterLoss(2, 3);
        var x = Tensor.FromArray([1e4f, -1e4f, 3e3f, 1e4f, -1e4f, 3e3f], 2, 3);
        x.RequiresGrad = true;
        var l = loss.Compute(x, [1, 1]);
        Assert.True(float.IsFinite(l.Item()));
        l.Backward();
        Fixtures.AssertFinite(x.Grad);
        Fixtures.AssertFinite(loss.Centers);
        // Duplicates of class 1 (n=2) move its centre 2/3·α of the way: 1e4·(0.5·2/3).
        Assert.Equal(1e4f / 3, loss.Centers.ToArray()[3], 1f);
        var one = Fixtures.RandomEmbeddings(5, 1, 3);
        loss.Compute(one, [0]).Backward();
        Fixtures.AssertFinite(one.Grad);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var loss = new CenterLoss(3, 2);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Compute(Fixtures.RandomEmbeddings(1, 2, 2), [0, 3]));
        Assert.Contains("[0, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new float[6], loss.Centers.ToArray()); // a rejected batch does not move the centres
        Assert.Throws<ArgumentException>(() => loss.Compute(Fixtures.RandomEmbeddings(1, 1, 3), [0]));
        Assert.Throws<ArgumentException>(() => loss.Compute(Fixtures.RandomEmbeddings(1, 1, 2), [0], refEmbeddings: Fixtures.RandomEmbeddings(2, 1, 2), refLabels: [0]));
        Assert.Equal("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new CenterLoss(3, 2, alpha: 1.5f)).ParamName);
        Assert.Equal("numClasses", Assert.Throws<ArgumentOutOfRangeException>(() => new CenterLoss(0, 2)).ParamName);
        Assert.Equal("embeddingSize", Assert.Throws<ArgumentOutOfRangeException>(() => new CenterLoss(2, 0)).ParamName);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }
}

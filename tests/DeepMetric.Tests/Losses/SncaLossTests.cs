using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class SncaLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    private static double[,] CosineOverTau(float[] q, int n, float[] r, int m, int d, double tau)
    {
        var s = Reference.Similarities(q, n, r, m, d, normalize: true);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                s[i, j] /= tau;
            }
        }
        return s;
    }

    private static double[] Normalized(float[] data, int row, int d) =>
        Reference.Normalize(Reference.Rows(data, data.Length / d, d)[row]);

    [Theory]
    [InlineData(1UL, 0.05f)]
    [InlineData(2UL, 0.5f)]
    public void Value_WithinBatch_MatchesPaperFormula(ulong seed, float tau)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var z = CosineOverTau(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, tau);
        var loss = new SncaLoss(tau).Compute(e, Labels);
        double expected = Reference.NcaValues(z, Labels, Labels, (i, j) => i == j).Average();
        Assert.Equal(expected, loss.Item(), 1e-4 * Math.Max(1, expected));
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new SncaLoss(0.5f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2, 3]), [GradCheck.Random(3, [7, 3])]);
    }

    [Fact]
    public void MemoryBank_IsReferenceSet_ExcludesOwnSlot_AndUpdatesWithMomentum()
    {
        const int d = 3;
        const float tau = 0.5f;
        var loss = new SncaLoss(tau, memorySize: 6, embeddingSize: d);
        var first = Fixtures.RandomEmbeddings(4, 4, d);
        int[] labels1 = [0, 1, 0, 1], slots1 = [0, 1, 2, 3];
        var l1 = loss.ComputeWithMemory(first, labels1, slots1);
        // Empty bank: within-batch NCA.
        var z1 = CosineOverTau(first.ToArray(), 4, first.ToArray(), 4, d, tau);
        Assert.Equal(Reference.NcaValues(z1, labels1, labels1, (i, j) => i == j).Average(), l1.Item(), 4);

        // Second batch: slots 2 (again) and 4 (new); reference = filled slots 0..3, slot 2 excluded for its own sample.
        var second = Fixtures.RandomEmbeddings(5, 2, d);
        int[] labels2 = [0, 1], slots2 = [2, 4];
        var l2 = loss.ComputeWithMemory(second, labels2, slots2);
        var bank = first.ToArray();
        var z2 = CosineOverTau(second.ToArray(), 2, bank, 4, d, tau);
        Assert.Equal(Reference.NcaValues(z2, labels2, labels1, (i, j) => i == 0 && j == 2).Average(), l2.Item(), 4);
        l2.Backward();
        Fixtures.AssertFinite(second.Grad);

        var state = loss.StateDict();
        var mem = state["memory"].ToArray();
        // Slot 2: normalise(0.5·old + 0.5·new), both normalised first.
        var old2 = Normalized(bank, 2, d);
        var new0 = Normalized(second.ToArray(), 0, d);
        var expected2 = Reference.Normalize([.. old2.Zip(new0, (a, b) => (0.5 * a) + (0.5 * b))]);
        var new1 = Normalized(second.ToArray(), 1, d);
        for (int k = 0; k < d; k++)
        {
            Assert.Equal(expected2[k], mem[(2 * d) + k], 5);
            Assert.Equal(new1[k], mem[(4 * d) + k], 5);
        }
        Assert.Equal([0f, 1f, 0f, 1f, 1f, 0f], state["memory_labels"].ToArray());
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 0f], state["memory_filled"].ToArray());
    }

    [Fact]
    public void MemoryGradient_MatchesFiniteDifferences()
    {
        var loss = new SncaLoss(0.5f, memorySize: 5, embeddingSize: 3);
        loss.ComputeWithMemory(Fixtures.RandomEmbeddings(6, 4, 3, requiresGrad: false), [0, 1, 0, 1], [0, 1, 2, 3]);
        var frozen = loss.StateDict().ToDictionary(kv => kv.Key, kv => Tensor.FromArray(kv.Value.ToArray(), kv.Value.Shape));
        GradCheck.Check(x =>
        {
            // Restore the bank so each evaluation sees the same reference set.
            loss.LoadStateDict(frozen);
            return loss.ComputeWithMemory(x[0], [0, 1], [1, 4]);
        }, [GradCheck.Random(7, [2, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new SncaLoss(), labels, seed: 8);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new SncaLoss(), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        Assert.Equal(Math.Log(3), loss, 4);
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new SncaLoss(0f)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new SncaLoss(momentum: 1f)).ParamName);
        Assert.Equal("embeddingSize", Assert.Throws<ArgumentOutOfRangeException>(() => new SncaLoss(memorySize: 4)).ParamName);
        var e = Fixtures.RandomEmbeddings(9, 2, 3);
        Assert.Throws<InvalidOperationException>(() => new SncaLoss().ComputeWithMemory(e, [0, 1], [0, 1]));
        var withBank = new SncaLoss(memorySize: 4, embeddingSize: 3);
        Assert.Contains("outside", Assert.Throws<ArgumentException>(() => withBank.ComputeWithMemory(e, [0, 1], [0, 4])).Message, StringComparison.Ordinal);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => withBank.ComputeWithMemory(e, [0, 1], [1, 1])).Message, StringComparison.Ordinal);
        Assert.Equal("embeddings", Assert.Throws<ArgumentException>(() => withBank.ComputeWithMemory(Fixtures.RandomEmbeddings(9, 2, 2), [0, 1], [0, 1])).ParamName);
    }
}

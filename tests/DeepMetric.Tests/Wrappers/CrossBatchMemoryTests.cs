using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Wrappers;

namespace DeepMetric.Tests.Wrappers;

public sealed class CrossBatchMemoryTests
{
    private static (List<(int, int)> Pos, List<(int, int)> Neg) PairsWithoutSelf(int[] l, int[] rl)
    {
        List<(int, int)> pos = [], neg = [];
        for (int i = 0; i < l.Length; i++)
        {
            for (int j = 0; j < rl.Length; j++)
            {
                if (j == i)
                {
                    continue;
                }
                (l[i] == rl[j] ? pos : neg).Add((i, j));
            }
        }
        return (pos, neg);
    }

    [Fact]
    public void Values_AgainstMemoryMatchBruteForce_AndFifo()
    {
        var cbm = new CrossBatchMemory(ContrastiveRef.Make(), memorySize: 5);
        var b1 = Fixtures.RandomEmbeddings(1, 3, 3);
        var b2 = Fixtures.RandomEmbeddings(2, 3, 3);
        var b3 = Fixtures.RandomEmbeddings(3, 3, 3);
        int[] l1 = [0, 1, 0], l2 = [1, 2, 2], l3 = [0, 2, 1];

        // First call: the memory is just the batch.
        var (p1, n1) = PairsWithoutSelf(l1, l1);
        Assert.Equal(ContrastiveRef.Loss(b1, b1, p1, n1), cbm.Compute(b1, l1).Item(), 5);
        Assert.Equal(3, cbm.Count);

        // Second call: reference = [b2; the 2 most recent rows of b1] (memory size 5).
        var ref2 = Tensor.FromArray([.. b2.ToArray(), .. b1.ToArray().AsSpan(3).ToArray()], 5, 3);
        int[] rl2 = [.. l2, l1[1], l1[2]];
        var (p2, n2) = PairsWithoutSelf(l2, rl2);
        Assert.Equal(ContrastiveRef.Loss(b2, ref2, p2, n2), cbm.Compute(b2, l2).Item(), 5);

        // FIFO: after the second call the memory holds b1[1..2], b2.
        Assert.Equal(5, cbm.Count);
        Assert.Equal([l1[1], l1[2], .. l2], cbm.MemoryLabels);
        Assert.Equal([.. b1.ToArray().AsSpan(3).ToArray(), .. b2.ToArray()], cbm.MemoryEmbeddings.ToArray());

        // Third call: reference = [b3; b2[1..2]].
        var ref3 = Tensor.FromArray([.. b3.ToArray(), .. b2.ToArray().AsSpan(3).ToArray()], 5, 3);
        int[] rl3 = [.. l3, l2[1], l2[2]];
        var (p3, n3) = PairsWithoutSelf(l3, rl3);
        Assert.Equal(ContrastiveRef.Loss(b3, ref3, p3, n3), cbm.Compute(b3, l3).Item(), 5);
    }

    [Fact]
    public void GradientFlowsOnlyThroughBatch()
    {
        var cbm = new CrossBatchMemory(ContrastiveRef.Make(), memorySize: 8);
        var b1 = Fixtures.RandomEmbeddings(4, 4, 3);
        cbm.Compute(b1, [0, 1, 0, 1]);
        var b2 = Fixtures.RandomEmbeddings(5, 4, 3);
        var loss = cbm.Compute(b2, [1, 0, 2, 2]);
        loss.Backward();
        Fixtures.AssertFinite(b2.Grad);
        Assert.Null(b1.Grad);

        // The batch-side gradient equals the loss's gradient against a constant reference.
        var refConst = Tensor.FromArray([.. b2.ToArray(), .. b1.ToArray()], 8, 3);
        int[] rl = [1, 0, 2, 2, 0, 1, 0, 1];
        var (p, n) = PairsWithoutSelf([1, 0, 2, 2], rl);
        var x = b2.Detach().Clone();
        x.RequiresGrad = true;
        var tuples = new PairTuples(p.Select(t => t.Item1).ToArray(), p.Select(t => t.Item2).ToArray(), n.Select(t => t.Item1).ToArray(), n.Select(t => t.Item2).ToArray());
        ContrastiveRef.Make().Compute(x, [1, 0, 2, 2], tuples, refConst, rl).Backward();
        var g1 = b2.Grad!.ToArray();
        var g2 = x.Grad!.ToArray();
        for (int i = 0; i < g1.Length; i++)
        {
            Assert.Equal(g2[i], g1[i], 5);
        }
    }

    [Fact]
    public void WithMiner_NoSelfComparisons()
    {
        var cbm = new CrossBatchMemory(new TripletMarginLoss(0.2f), memorySize: 16, miner: new BatchHardMiner());
        for (ulong s = 0; s < 3; s++)
        {
            var e = Fixtures.RandomEmbeddings(10 + s, 6, 4);
            var loss = cbm.Compute(e, [0, 0, 1, 1, 2, 2]);
            loss.Backward();
            Fixtures.AssertFinite(e.Grad);
        }
        Assert.Equal(16, cbm.Count);
    }

    [Fact]
    public void EdgeCases()
    {
        var cbm = new CrossBatchMemory(ContrastiveRef.Make(), memorySize: 4);
        var one = Fixtures.RandomEmbeddings(1, 1, 2);
        var v = cbm.Compute(one, [0]);
        Assert.Equal(0f, v.Item());
        v.Backward();
        Fixtures.AssertAllZero(one.Grad);
        Assert.Throws<ArgumentException>(() => cbm.Compute(Fixtures.RandomEmbeddings(2, 5, 2), [0, 0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => cbm.Compute(Fixtures.RandomEmbeddings(2, 2, 3), [0, 0]));
        Assert.Throws<ArgumentException>(() => cbm.Compute(one, [0], null, one, [0]));
        cbm.Reset();
        Assert.Equal(0, cbm.Count);
        cbm.Compute(Fixtures.RandomEmbeddings(2, 2, 3), [0, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossBatchMemory(ContrastiveRef.Make(), memorySize: 0));
        Assert.Throws<ArgumentNullException>(() => new CrossBatchMemory(null!));
        Assert.Single(new CrossBatchMemory(new ContrastiveLoss()).NamedChildren());
    }
}

using DeepMetric.Distances;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Distances;

public sealed class PairwiseBlocksTests
{
    public static TheoryData<string> DistanceNames =>
    [
        "l1", "l2", "l2-raw", "l2-squared", "l3", "linf", "l0.5", "cosine", "dot", "dot-norm", "snr", "cosine-pow2",
    ];

    private static Distance Make(string name) => name switch
    {
        "l1" => new LpDistance(1f),
        "l2" => new LpDistance(),
        "l2-raw" => new LpDistance(normalizeEmbeddings: false),
        "l2-squared" => new LpDistance(normalizeEmbeddings: false, power: 2f),
        "l3" => new LpDistance(3f, normalizeEmbeddings: false),
        "linf" => new LpDistance(float.PositiveInfinity),
        "l0.5" => new LpDistance(0.5f),
        "cosine" => new CosineSimilarity(),
        "cosine-pow2" => new CosineSimilarity(power: 2f),
        "dot" => new DotProductSimilarity(normalizeEmbeddings: false),
        "dot-norm" => new DotProductSimilarity(normalizeEmbeddings: true),
        "snr" => new SnrDistance(normalizeEmbeddings: false),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Stitches the blocks back into an N × M array, checking they are contiguous and in order.</summary>
    private static float[,] Stitch(IEnumerable<(int RowStart, Tensor Block)> blocks, int n, int m, int maxRows)
    {
        var full = new float[n, m];
        int next = 0;
        foreach (var (start, block) in blocks)
        {
            Assert.Equal(next, start);
            Assert.Equal(2, block.Rank);
            Assert.Equal(m, block.Dim(1));
            Assert.InRange(block.Dim(0), 1, maxRows);
            Assert.False(block.RequiresGrad);
            for (int i = 0; i < block.Dim(0); i++)
            {
                for (int j = 0; j < m; j++)
                {
                    full[start + i, j] = block[i, j];
                }
            }
            next = start + block.Dim(0);
        }
        Assert.Equal(n, next);
        return full;
    }

    [Theory]
    [MemberData(nameof(DistanceNames))]
    public void Blocks_EqualFullMatrix_SeparateReference(string name)
    {
        var dist = Make(name);
        var q = Fixtures.RandomEmbeddings(11, 7, 4);
        var r = Fixtures.RandomEmbeddings(12, 5, 4);
        var full = dist.Pairwise(q, r);
        foreach (int rows in new[] { 1, 2, 3, 7, 100 })
        {
            var stitched = Stitch(dist.PairwiseBlocks(q, r, rows), 7, 5, rows);
            for (int i = 0; i < 7; i++)
            {
                for (int j = 0; j < 5; j++)
                {
                    Assert.Equal(full[i, j], stitched[i, j], 5);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(DistanceNames))]
    public void Blocks_EqualFullMatrix_SameSet(string name)
    {
        var dist = Make(name);
        var q = Fixtures.RandomEmbeddings(13, 6, 3);
        var full = dist.Pairwise(q);
        var stitched = Stitch(dist.PairwiseBlocks(q, null, 4), 6, 6, 4);
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                Assert.Equal(full[i, j], stitched[i, j], 5);
            }
        }
    }

    [Fact]
    public void GradientMode_IsRestoredBetweenBlocks()
    {
        var q = Fixtures.RandomEmbeddings(14, 5, 3);
        int seen = 0;
        foreach (var (_, block) in new LpDistance().PairwiseBlocks(q, null, 2))
        {
            // The caller's code between blocks runs with gradients on, as before the loop.
            Assert.True(NoGradScope.GradEnabled);
            Assert.False(block.RequiresGrad);
            seen++;
        }
        Assert.Equal(3, seen);
        Assert.True(NoGradScope.GradEnabled);
    }

    [Fact]
    public void EmptyQuery_YieldsNothing()
    {
        var q = Tensor.Zeros([0, 3]);
        var r = Fixtures.RandomEmbeddings(15, 4, 3);
        Assert.Empty(new CosineSimilarity().PairwiseBlocks(q, r, 8));
    }

    [Fact]
    public void BadArguments_ThrowEagerly()
    {
        var dist = new LpDistance();
        var q = Fixtures.RandomEmbeddings(16, 4, 3);
        // Thrown at the call, not at the first MoveNext.
        Assert.Equal("maxRowsPerBlock", Assert.Throws<ArgumentOutOfRangeException>(() => dist.PairwiseBlocks(q, null, 0)).ParamName);
        Assert.Equal("reference", Assert.Throws<ArgumentException>(() => dist.PairwiseBlocks(q, Fixtures.RandomEmbeddings(17, 4, 2), 2)).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => dist.PairwiseBlocks(Tensor.Zeros([4]), null, 2)).ParamName);
        Assert.Throws<ArgumentNullException>(() => dist.PairwiseBlocks(null!, null, 2));
    }
}

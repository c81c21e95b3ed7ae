using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Wrappers;

namespace DeepMetric.Tests.Wrappers;

public sealed class SelfSupervisedLossTests
{
    private static double TripletRef(Tensor x, Tensor y, bool symmetric, double margin)
    {
        int n = x.Dim(0);
        var values = new List<double>();
        foreach (var (q, r) in symmetric ? new[] { (x, y), (y, x) } : new[] { (x, y) })
        {
            var d = MinerCheck.Euclid(q, r);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    if (j != i)
                    {
                        values.Add(Reference.Relu(d[i, i] - d[i, j] + margin));
                    }
                }
            }
        }
        return values.Average();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Triplet_MatchesBruteForce(bool symmetric)
    {
        var x = Fixtures.RandomEmbeddings(1, 5, 3);
        var y = Fixtures.RandomEmbeddings(2, 5, 3);
        var loss = new SelfSupervisedLoss(new TripletMarginLoss(0.5f, reducer: new MeanReducer()), symmetric);
        Assert.Equal(TripletRef(x, y, symmetric, 0.5), loss.Compute(x, y).Item(), 5);
    }

    [Fact]
    public void Contrastive_Symmetric_MatchesBruteForce()
    {
        var x = Fixtures.RandomEmbeddings(3, 4, 3);
        var y = Fixtures.RandomEmbeddings(4, 4, 3);
        var pos = Enumerable.Range(0, 4).Select(i => (i, i)).ToList();
        var neg = (from i in Enumerable.Range(0, 4) from j in Enumerable.Range(0, 4) where i != j select (i, j)).ToList();
        // Distances are symmetric, so both directions give the same means.
        double expected = ContrastiveRef.Loss(x, y, pos, neg);
        Assert.Equal(expected, new SelfSupervisedLoss(ContrastiveRef.Make()).Compute(x, y).Item(), 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_MatchesFiniteDifferences(bool symmetric)
    {
        var loss = new SelfSupervisedLoss(new TripletMarginLoss(0.5f, reducer: new MeanReducer()), symmetric);
        GradCheck.Check(v => loss.Compute(v[0], v[1]), [GradCheck.Random(5, [4, 3]), GradCheck.Random(6, [4, 3])]);
    }

    [Fact]
    public void EdgeCases()
    {
        var loss = new SelfSupervisedLoss(ContrastiveRef.Make());
        var x = Fixtures.RandomEmbeddings(1, 3, 2);
        var same = loss.Compute(x, x.Detach().Clone());
        Assert.True(float.IsFinite(same.Item()));
        same.Backward();
        Fixtures.AssertFinite(x.Grad);
        Assert.True(float.IsFinite(loss.Compute(Fixtures.RandomEmbeddings(2, 1, 2), Fixtures.RandomEmbeddings(3, 1, 2)).Item()));
        Assert.Throws<ArgumentException>(() => loss.Compute(Fixtures.RandomEmbeddings(1, 3, 2), Fixtures.RandomEmbeddings(1, 2, 2)));
        Assert.Throws<ArgumentNullException>(() => new SelfSupervisedLoss(null!));
        Assert.Throws<NotSupportedException>(() => loss.Forward(x));
    }
}

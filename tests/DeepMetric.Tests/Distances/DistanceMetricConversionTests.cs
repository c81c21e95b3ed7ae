using DeepMetric.Calibration;
using DeepMetric.Distances;
using DeepMetric.Evaluation;
using DeepMetric.Search;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Distances;

public sealed class DistanceMetricConversionTests
{
    public static TheoryData<string> Convertible() => new() { "l2", "l2norm", "l2sq", "cos", "dotnorm", "dot" };

    private static Distance Make(string name) => name switch
    {
        "l2" => new LpDistance(normalizeEmbeddings: false),
        "l2norm" => new LpDistance(),
        "l2sq" => new LpDistance(normalizeEmbeddings: false, power: 2f),
        "cos" => new CosineSimilarity(),
        "dotnorm" => new DotProductSimilarity(),
        "dot" => new DotProductSimilarity(normalizeEmbeddings: false),
        _ => throw new ArgumentException(name),
    };

    /// <summary>The converted search metric, computed by Matcher.Distance, orders every query's neighbours as the distance does.</summary>
    [Theory]
    [MemberData(nameof(Convertible))]
    public void VectorMetric_RanksAsTheDistance(string name)
    {
        var distance = Make(name);
        var metric = distance.ToVectorMetric();
        const int n = 9, d = 5;
        var e = Fixtures.RandomEmbeddings(7, n, d, false);
        var data = e.ToArray();
        var m = distance.Pairwise(e).ToArray();
        for (int i = 0; i < n; i++)
        {
            var byDistance = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => distance.IsInverted ? -m[(i * n) + j] : m[(i * n) + j]).ToArray();
            var byMetric = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Matcher.Distance(metric, data.AsSpan(i * d, d), data.AsSpan(j * d, d))).ToArray();
            Assert.Equal(byDistance, byMetric);
        }
    }

    [Fact]
    public void Mapping_AndUnsupportedDistancesThrow()
    {
        Assert.Equal(VectorMetric.L2, Make("l2").ToVectorMetric());
        Assert.Equal(VectorMetric.Cosine, Make("l2norm").ToVectorMetric());
        Assert.Equal(VectorMetric.InnerProduct, Make("dot").ToVectorMetric());
        Assert.Equal(KnnMetric.Euclidean, Make("l2sq").ToKnnMetric());
        Assert.Equal(KnnMetric.Cosine, Make("cos").ToKnnMetric());
        Assert.Throws<NotSupportedException>(() => Make("dot").ToKnnMetric());
        Assert.Throws<NotSupportedException>(() => new LpDistance(p: 1f).ToVectorMetric());
        Assert.Throws<NotSupportedException>(() => new SnrDistance().ToVectorMetric());
    }
}

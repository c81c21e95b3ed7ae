using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

/// <summary>
/// Every loss that takes a <see cref="Distance"/> works with a distance (<see cref="LpDistance"/>) and with a
/// similarity (<see cref="CosineSimilarity"/>), or rejects the unsupported one at construction with an
/// <see cref="ArgumentException"/> naming <c>distance</c>.
/// </summary>
public sealed class DistanceDirectionTests
{
    private const int D = 4;
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 2, 3, 3, 1];

    public static TheoryData<string, bool> Cases()
    {
        string[] names =
        [
            "Circle", "Contrastive", "DynamicSoftMargin", "FastAp", "GeneralizedLiftedStructure", "Histogram", "Instance",
            "IntraPairVariance", "LiftedStructure", "Margin", "MultiSimilarity", "NPairs", "NTXent", "Nca", "NormalizedSoftmax",
            "ProxyAnchor", "ProxyNca", "RankedList", "SmoothAp", "Snca", "SncaMemory", "SnrContrastive", "Spce", "SupCon",
            "TripletMargin",
        ];
        var data = new TheoryData<string, bool>();
        foreach (var name in names)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    private static MetricLoss Create(string name, Distance d) => name switch
    {
        "Circle" => new CircleLoss(distance: d),
        "Contrastive" => new ContrastiveLoss(distance: d),
        "DynamicSoftMargin" => new DynamicSoftMarginLoss(distance: d),
        "FastAp" => new FastApLoss(distance: d),
        "GeneralizedLiftedStructure" => new GeneralizedLiftedStructureLoss(distance: d),
        "Histogram" => new HistogramLoss(distance: d),
        "Instance" => new InstanceLoss(distance: d),
        "IntraPairVariance" => new IntraPairVarianceLoss(distance: d),
        "LiftedStructure" => new LiftedStructureLoss(distance: d),
        "Margin" => new MarginLoss(distance: d),
        "MultiSimilarity" => new MultiSimilarityLoss(distance: d),
        "NPairs" => new NPairsLoss(distance: d),
        "NTXent" => new NTXentLoss(distance: d),
        "Nca" => new NcaLoss(distance: d),
        "NormalizedSoftmax" => new NormalizedSoftmaxLoss(4, D, distance: d),
        "ProxyAnchor" => new ProxyAnchorLoss(4, D, distance: d),
        "ProxyNca" => new ProxyNcaLoss(4, D, distance: d),
        "RankedList" => new RankedListLoss(distance: d),
        "SmoothAp" => new SmoothApLoss(distance: d),
        "Snca" => new SncaLoss(distance: d),
        "SncaMemory" => new SncaLoss(memorySize: 6, embeddingSize: D, distance: d),
        "SnrContrastive" => new SnrContrastiveLoss(distance: d),
        "Spce" => new SpceLoss(distance: d),
        "SupCon" => new SupConLoss(distance: d),
        "TripletMargin" => new TripletMarginLoss(distance: d),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_WithDistanceOrSimilarity_IsFiniteOrRejectedClearly(string name, bool similarity)
    {
        Distance distance = similarity ? new CosineSimilarity() : new LpDistance();
        MetricLoss loss;
        try
        {
            loss = Create(name, distance);
        }
        catch (ArgumentException ex) when (ex is not ArgumentOutOfRangeException)
        {
            Assert.Equal("distance", ex.ParamName);
            Assert.Contains(similarity ? "similarity" : "distance", ex.Message, StringComparison.OrdinalIgnoreCase);
            return;
        }
        for (ulong step = 0; step < 2; step++)
        {
            var x = Fixtures.RandomEmbeddings(40 + step, Labels.Length, D);
            var value = loss.Compute(x, Labels);
            Assert.True(float.IsFinite(value.Item()), $"{name} with {distance.GetType().Name}: loss {value.Item()}");
            value.Backward();
            Fixtures.AssertFinite(x.Grad);
        }
    }
}

using DeepMetric.FewShot;

namespace DeepMetric.Tests.FewShot;

public sealed class FewShotTests
{
    // 6 classes (labels 10..15) of 30 items each, interleaved, plus one tiny class 99 with 3 items.
    private static int[] Labels()
    {
        var labels = new List<int>();
        for (int i = 0; i < 180; i++)
        {
            labels.Add(10 + (i % 6));
        }
        labels.AddRange([99, 99, 99]);
        return [.. labels];
    }

    [Fact]
    public void EpisodesAreDeterministicAndDisjoint()
    {
        var labels = Labels();
        var a = new EpisodeSampler(labels, ways: 5, shots: 5, queries: 15, seed: 7).Sample(50);
        var b = new EpisodeSampler(labels, ways: 5, shots: 5, queries: 15, seed: 7).Sample(50);
        var c = new EpisodeSampler(labels, ways: 5, shots: 5, queries: 15, seed: 8).Sample(50);
        bool anyDifferent = false;
        for (int e = 0; e < 50; e++)
        {
            Assert.Equal(a[e].Classes, b[e].Classes);
            Assert.Equal(a[e].SupportIndices, b[e].SupportIndices);
            Assert.Equal(a[e].QueryIndices, b[e].QueryIndices);
            anyDifferent |= !a[e].SupportIndices.SequenceEqual(c[e].SupportIndices);

            var ep = a[e];
            Assert.Equal(5, ep.Classes.Distinct().Count());
            Assert.DoesNotContain(99, ep.Classes);   // 3 items < 5 + 15
            Assert.Equal(25, ep.SupportIndices.Length);
            Assert.Equal(75, ep.QueryIndices.Length);
            // Support and query never share an item, and no item repeats.
            Assert.Equal(100, ep.SupportIndices.Concat(ep.QueryIndices).Distinct().Count());
            for (int i = 0; i < ep.SupportIndices.Length; i++)
            {
                Assert.Equal(labels[ep.SupportIndices[i]], ep.Classes[ep.SupportLabels[i]]);
            }
            for (int i = 0; i < ep.QueryIndices.Length; i++)
            {
                Assert.Equal(labels[ep.QueryIndices[i]], ep.Classes[ep.QueryLabels[i]]);
            }
            for (int cls = 0; cls < 5; cls++)
            {
                Assert.Equal(5, ep.SupportLabels.Count(l => l == cls));
                Assert.Equal(15, ep.QueryLabels.Count(l => l == cls));
            }
        }
        Assert.True(anyDifferent);
        Assert.Equal([10, 11, 12, 13, 14, 15], new EpisodeSampler(labels, 2, 2, 2, 0).Classes);
    }

    [Fact]
    public void SamplerRejectsImpossibleSettings()
    {
        var labels = Labels();
        Assert.Throws<ArgumentOutOfRangeException>("ways", () => new EpisodeSampler(labels, ways: 8, shots: 1, queries: 1, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>("ways", () => new EpisodeSampler(labels, ways: 5, shots: 20, queries: 15, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>("ways", () => new EpisodeSampler(labels, ways: 1, shots: 1, queries: 1, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>("shots", () => new EpisodeSampler(labels, ways: 2, shots: 0, queries: 1, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>("queries", () => new EpisodeSampler(labels, ways: 2, shots: 1, queries: 0, seed: 0));
        Assert.Throws<ArgumentOutOfRangeException>("labels", () => new EpisodeSampler([0, -1, 1], ways: 2, shots: 1, queries: 1, seed: 0));
    }

    [Fact]
    public void PrototypeClassifierOnAHandBuiltPlane()
    {
        // Class 0 support (0,0),(2,0) → mean (1,0); class 1 support (0,4),(0,6) → mean (0,5).
        float[] support = [0, 0, 2, 0, 0, 4, 0, 6];
        int[] labels = [0, 0, 1, 1];
        // (1,1): d²=1 to (1,0), 17 to (0,5) → 0. (0,3): d²=10 vs 4 → 1. (2.5,2.5): 8.5 vs 12.5 → 0. (0,2.5): 7.25 vs 6.25 → 1.
        float[] queries = [1, 1, 0, 3, 2.5f, 2.5f, 0, 2.5f];
        Assert.Equal([0, 1, 0, 1], FewShotClassifier.NearestPrototype(support, labels, 2, queries, 2));
        // 1-NN differs where the nearest single item disagrees with the nearest mean: (2.5,2.5) is nearest (2,0)? d²=6.5 vs (0,4) 8.5 → 0.
        // (0,2.5): nearest item (0,4) d²=2.25 vs (0,0) 6.25 → 1.
        Assert.Equal([0, 1, 0, 1], FewShotClassifier.Knn(support, labels, 2, queries, 2, k: 1));
        // 3-NN of (0,1.9): distances (0,0)=1.9, (0,4)=2.1, (2,0)=2.76, (0,6)=4.1 → votes 0,1,0 → 0; 1-NN → 0 as well;
        // of (0,2.1): (0,4)=1.9, (0,0)=2.1, (2,0)=2.9 → votes 1,0,0 → 0, while 1-NN says 1.
        Assert.Equal([0, 0], FewShotClassifier.Knn(support, labels, 2, [0, 1.9f, 0, 2.1f], 2, k: 3));
        Assert.Equal([0, 1], FewShotClassifier.Knn(support, labels, 2, [0, 1.9f, 0, 2.1f], 2, k: 1));
        // A 2-vote tie (k = 2) goes to the class of the nearest neighbour.
        Assert.Equal([1], FewShotClassifier.Knn(support, labels, 2, [0, 2.1f], 2, k: 2));
        Assert.Throws<ArgumentException>("supportLabels", () => FewShotClassifier.NearestPrototype(support, [0, 0, 0, 0], 2, queries, 2));
        Assert.Throws<ArgumentOutOfRangeException>("supportLabels", () => FewShotClassifier.NearestPrototype(support, [0, 0, 2, 1], 2, queries, 2));
        Assert.Throws<ArgumentException>("support", () => FewShotClassifier.Knn(support[..3], labels, 2, queries, 2));
        Assert.Throws<ArgumentException>("queries", () => FewShotClassifier.Knn(support, labels, 2, queries[..3], 2));
    }

    [Fact]
    public void IntervalMatchesAHandComputation()
    {
        // Accuracies 0.6, 0.8, 1.0: mean 0.8, sample variance ((0.2)² + 0 + (0.2)²)/2 = 0.04, s = 0.2,
        // half-width 1.96 · 0.2 / √3 = 0.226320...
        var ci = AccuracyInterval.FromAccuracies([0.6, 0.8, 1.0]);
        Assert.Equal(0.8, ci.Mean, 12);
        Assert.Equal(0.2, ci.StandardDeviation, 12);
        Assert.Equal(0.392 / 1.7320508075688772, ci.HalfWidth95, 12);
        Assert.Equal(3, ci.Episodes);
        var one = AccuracyInterval.FromAccuracies([0.5]);
        Assert.Equal((0.5, 0.0), (one.Mean, one.HalfWidth95));
        Assert.Throws<ArgumentException>("accuracies", () => AccuracyInterval.FromAccuracies([]));
        Assert.Throws<ArgumentException>("accuracies", () => AccuracyInterval.FromAccuracies([0.5, double.NaN]));
        Assert.Throws<ArgumentException>("accuracies", () => AccuracyInterval.FromAccuracies([1.5]));
    }

    [Fact]
    public void EvaluatorScoresSeparableAndUninformativeFeatures()
    {
        var labels = Labels()[..180];
        // Feature = the label itself: every episode is classified perfectly. Constant feature: every distance ties,
        // so the prototype rule always answers class 0 → accuracy exactly 1/ways.
        var informative = labels.Select(l => (float)l).ToArray();
        var constant = new float[labels.Length];
        var episodes = new EpisodeSampler(labels, ways: 4, shots: 2, queries: 3, seed: 1).Sample(20);
        var perfect = FewShotEvaluator.Evaluate(informative, 1, episodes, FewShotMethod.Prototype);
        Assert.Equal((1.0, 0.0), (perfect.Mean, perfect.HalfWidth95));
        Assert.Equal(1.0, FewShotEvaluator.Evaluate(informative, 1, episodes, FewShotMethod.Knn, k: 1).Mean);
        var chance = FewShotEvaluator.Evaluate(constant, 1, episodes, FewShotMethod.Prototype);
        Assert.Equal((0.25, 0.0), (chance.Mean, chance.HalfWidth95));
        Assert.Throws<ArgumentException>("episodes", () => FewShotEvaluator.Evaluate(informative, 1, [], FewShotMethod.Prototype));
        Assert.Throws<ArgumentException>("features", () => FewShotEvaluator.Evaluate(informative[..10], 1, episodes, FewShotMethod.Prototype));
    }
}

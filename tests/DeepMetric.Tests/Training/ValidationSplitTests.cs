using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;

namespace DeepMetric.Tests.Training;

public sealed class ValidationSplitTests
{
    [Fact]
    public void SamplesHoldsOutAFractionOfEveryClass()
    {
        var data = Fixtures.ClusteredImages(10, 1);   // 4 classes × 10
        var (train, validation) = ValidationSplit.Split(data, 0.2, seed: 3);
        Assert.Equal(32, train.Count);
        Assert.Equal(8, validation.Count);
        Assert.All(validation.Images().ClassCounts, c => Assert.Equal(2, c));
        // Disjoint and complete: every original image is in exactly one part.
        var all = new List<float[]>();
        for (int i = 0; i < train.Count; i++)
        {
            all.Add(train.Images().Image(i).ToArray());
        }
        for (int i = 0; i < validation.Count; i++)
        {
            all.Add(validation.Images().Image(i).ToArray());
        }
        Assert.Equal(40, all.Select(a => string.Join(",", a)).Distinct().Count());
        var again = ValidationSplit.Split(data, 0.2, seed: 3).Validation;
        Assert.Equal(validation.Images().Pixels.ToArray(), again.Images().Pixels.ToArray());
    }

    [Fact]
    public void ClassesHoldsOutWholeClasses()
    {
        var data = Fixtures.ClusteredImages(5, 1);
        var (train, validation) = ValidationSplit.Split(data, 0.25, seed: 3, ValidationHoldout.Classes);
        // round(0.25 · 4) = 1, raised to the minimum of 2 validation classes.
        Assert.Equal(2, validation.Images().ClassCounts.Count(c => c > 0));
        Assert.Equal(2, train.Images().ClassCounts.Count(c => c > 0));
        for (int c = 0; c < 4; c++)
        {
            Assert.True(train.Images().ClassCounts[c] == 0 ^ validation.Images().ClassCounts[c] == 0);
        }
    }

    [Fact]
    public void BadArguments()
    {
        var data = Fixtures.ClusteredImages(3, 1);
        Assert.Throws<ArgumentOutOfRangeException>("fraction", () => ValidationSplit.Split(data, 0));
        Assert.Throws<ArgumentOutOfRangeException>("fraction", () => ValidationSplit.Split(data, 1));
        Assert.Throws<ArgumentOutOfRangeException>("fraction", () => ValidationSplit.Split(data, double.NaN));
        Assert.Throws<ArgumentException>("train", () => ValidationSplit.Split(data.WhereClasses(0, 1), 0.5, holdout: ValidationHoldout.Classes));
        Assert.Throws<ArgumentException>("train", () => ValidationSplit.Split(data.Subset([0, 1, 2, 3]), 0.5));   // one sample per class
    }
}

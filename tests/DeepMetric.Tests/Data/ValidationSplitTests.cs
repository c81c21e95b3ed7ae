using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

public sealed class ValidationSplitTests
{
    [Fact]
    public void HoldsOutRoundedFractionOfEveryClass()
    {
        // Class sizes 10, 5, 1, 2 interleaved.
        int[] labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 2, 3, 3];
        var (train, val) = ValidationSplit.HoldOutIndices(labels, 0.3, seed: 5);
        int CountIn(int[] idx, int c) => idx.Count(i => labels[i] == c);
        Assert.Equal(3, CountIn(val, 0));   // round(3.0)
        Assert.Equal(2, CountIn(val, 1));   // round(1.5) away from zero
        Assert.Equal(0, CountIn(val, 2));   // a single image stays in training
        Assert.Equal(1, CountIn(val, 3));   // round(0.6) = 1, and one stays
        Assert.Equal(labels.Length, train.Length + val.Length);
        Assert.Equal(Enumerable.Range(0, labels.Length), train.Concat(val).Order());
        Assert.Equal(train.Order(), train);
        Assert.Equal(val.Order(), val);
    }

    [Fact]
    public void SeededAndDeterministic()
    {
        var labels = Enumerable.Range(0, 200).Select(i => i % 4).ToArray();
        var a = ValidationSplit.HoldOutIndices(labels, 0.2, seed: 1);
        var b = ValidationSplit.HoldOutIndices(labels, 0.2, seed: 1);
        var c = ValidationSplit.HoldOutIndices(labels, 0.2, seed: 2);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
        Assert.Equal(40, a.Validation.Length);
    }

    [Fact]
    public void SplitsAnImageDataset()
    {
        var pixels = Enumerable.Range(0, 8).Select(i => (float)i).ToArray();
        var data = new ImageDataset(pixels, [0, 0, 0, 0, 1, 1, 1, 1], 1, 1, 1, ["a", "b"]);
        var (train, validation) = ValidationSplit.Create(data, 0.25, seed: 3);
        Assert.Equal(6, train.Count);
        Assert.Equal(2, validation.Count);
        Assert.Equal([1, 1], validation.ClassCounts);
        // Pixels equal the original index, so the parts must be disjoint and complete.
        Assert.Equal(pixels, train.Pixels.ToArray().Concat(validation.Pixels.ToArray()).Order());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    [InlineData(-0.5)]
    public void RejectsBadFraction(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ValidationSplit.HoldOutIndices([0, 0], fraction));
}

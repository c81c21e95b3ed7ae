using DeepMetric.Samplers;

namespace DeepMetric.Tests.Samplers;

public sealed class HierarchicalSamplerTests
{
    // 4 super-classes × 3 classes × 6 samples; class c belongs to super-class c / 3.
    private static (int[] Labels, int[] Supers) Data()
    {
        var labels = new int[72];
        var supers = new int[72];
        for (int i = 0; i < 72; i++)
        {
            labels[i] = (i * 5) % 12;
            supers[i] = 100 + (labels[i] / 3);
        }
        return (labels, supers);
    }

    [Fact]
    public void BatchIsSuperClassesThenClassesThenSamples()
    {
        var (labels, supers) = Data();
        var s = new HierarchicalSampler(labels, supers, superClassesPerBatch: 2, classesPerSuperClass: 2, samplesPerClass: 3, seed: 4);
        Assert.Equal(12, s.BatchSize);
        Assert.Equal(6, s.BatchesPerEpoch);
        for (int b = 0; b < 15; b++)
        {
            var batch = s.NextBatch();
            Assert.Equal(12, batch.Distinct().Count());
            var superOfGroup = new List<int>();
            for (int sg = 0; sg < 2; sg++)
            {
                var block = batch.AsSpan(sg * 6, 6).ToArray();
                Assert.Single(block.Select(i => supers[i]).Distinct());
                superOfGroup.Add(supers[block[0]]);
                var classBlocks = new[] { block[..3], block[3..] };
                Assert.All(classBlocks, cb => Assert.Single(cb.Select(i => labels[i]).Distinct()));
                Assert.NotEqual(labels[classBlocks[0][0]], labels[classBlocks[1][0]]);
            }
            Assert.NotEqual(superOfGroup[0], superOfGroup[1]);
        }
    }

    [Fact]
    public void DeterministicAndResumable()
    {
        var (labels, supers) = Data();
        SamplerAssert.ResumeMatches(() => new HierarchicalSampler(labels, supers, 2, 3, 2, seed: 11), 3);
    }

    [Fact]
    public void BadArguments()
    {
        var (labels, supers) = Data();
        Assert.Throws<ArgumentException>(() => new HierarchicalSampler(labels, supers, 5, 1, 1));
        Assert.Throws<ArgumentException>(() => new HierarchicalSampler(labels, supers, 2, 4, 1));
        Assert.Throws<ArgumentException>(() => new HierarchicalSampler(labels, supers[1..], 2, 2, 1));
        var mixed = (int[])supers.Clone();
        mixed[0] = 999;
        var ex = Assert.Throws<ArgumentException>(() => new HierarchicalSampler(labels, mixed, 2, 2, 1));
        Assert.Contains("super-classes", ex.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new HierarchicalSampler(labels, supers, 0, 2, 1));
        Assert.Throws<ArgumentException>(() => new HierarchicalSampler([], [], 1, 1, 1));
    }
}

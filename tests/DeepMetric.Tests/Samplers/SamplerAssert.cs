using DeepMetric.Samplers;

namespace DeepMetric.Tests.Samplers;

internal static class SamplerAssert
{
    /// <summary>Seeking a fresh sampler to every position reproduces the batches of an uninterrupted run.</summary>
    public static void ResumeMatches(Func<BatchSampler> create, int epochs)
    {
        var reference = create();
        int total = epochs * reference.BatchesPerEpoch;
        var batches = new List<int[]>();
        for (int b = 0; b < total; b++)
        {
            batches.Add(reference.NextBatch());
        }
        var again = create();
        for (int b = 0; b < total; b++)
        {
            Assert.Equal(batches[b], again.NextBatch());
        }
        for (int start = 0; start < total; start += Math.Max(1, total / 7))
        {
            var resumed = create();
            resumed.Seek(start);
            for (int b = start; b < total; b++)
            {
                Assert.Equal(batches[b], resumed.NextBatch());
            }
        }
    }
}

using DeepMetric.Evaluation;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Evaluation;

public sealed class KnnRadixSortTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(999)]
    [InlineData(5000)]
    public void SortsLikeArraySort(int n)
    {
        var rng = new Prng((ulong)n + 1);
        var keys = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            // Distance bits in the high word, a distinct index in the low word, with repeated distances (ties).
            float d = rng.NextInt(50) / 7f;
            keys[i] = ((ulong)BitConverter.SingleToUInt32Bits(d) << 32) | (uint)((i * 7919) % 100_003);
        }
        if (n > 3)
        {
            keys[1] = ulong.MaxValue;   // the leave-one-out sentinel
            keys[2] = (ulong)BitConverter.SingleToUInt32Bits(float.PositiveInfinity) << 32;
        }
        var expected = (ulong[])keys.Clone();
        Array.Sort(expected);
        Knn.RadixSort(keys, new ulong[n]);
        Assert.Equal(expected, keys);
    }
}

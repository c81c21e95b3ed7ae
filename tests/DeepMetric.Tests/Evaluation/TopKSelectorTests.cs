using DeepMetric.Evaluation;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Evaluation;

public sealed class TopKSelectorTests
{
    // The plain definition: all (key, index) pairs but the excluded one, sorted, the first k.
    private static ulong[] Reference(uint[] keys, int k, int exclude)
    {
        var all = new List<ulong>();
        for (int j = 0; j < keys.Length; j++)
        {
            if (j != exclude)
            {
                all.Add(((ulong)keys[j] << 32) | (uint)j);
            }
        }
        all.Sort();
        return all.GetRange(0, k).ToArray();
    }

    private static void Check(uint[] keys, int k, int exclude, TopKSelector? selector = null)
    {
        var expected = Reference(keys, k, exclude);
        var actual = (selector ?? new TopKSelector(keys.Length)).Smallest((uint[])keys.Clone(), k, exclude).ToArray();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(5000)]
    public void MatchesASortWithTies(int n)
    {
        var rng = new Prng((ulong)n);
        var keys = new uint[n];
        for (int j = 0; j < n; j++)
        {
            // Float bits of distances with many repeats, as the kNN search produces them.
            keys[j] = BitConverter.SingleToUInt32Bits(rng.NextInt(40) / 9f);
        }
        var selector = new TopKSelector(n);
        foreach (int k in new[] { 1, Math.Max(n / 5, 1), n / 2, n - 1, n })
        {
            if (k == 0)
            {
                continue;
            }
            Check(keys, k, -1, selector);
            if (k < n)
            {
                Check(keys, k, n / 3, selector);
            }
        }
    }

    [Fact]
    public void SmoothDistancesAndOneBufferReusedAcrossSizes()
    {
        var rng = new Prng(5);
        var selector = new TopKSelector(3000);
        foreach (int n in new[] { 3000, 10, 2048, 1 })
        {
            var keys = new uint[n];
            for (int j = 0; j < n; j++)
            {
                keys[j] = BitConverter.SingleToUInt32Bits((float)Math.Abs(rng.NextNormal() + 2));
            }
            Check(keys, Math.Min(n, 999), -1, selector);
            Check(keys, 1, -1, selector);
        }
    }

    [Fact]
    public void AllEqualKeysComeInIndexOrder()
    {
        var keys = new uint[3000];
        Array.Fill(keys, 12345u);
        Check(keys, 2999, 0);
        Check(keys, 1000, 1500);
        Check(keys, 3000, -1);
    }

    [Fact]
    public void ExtremeKeysAndTheExcludedSentinel()
    {
        var rng = new Prng(9);
        var keys = new uint[2000];
        for (int j = 0; j < keys.Length; j++)
        {
            keys[j] = rng.NextInt(3) switch { 0 => 0u, 1 => uint.MaxValue, _ => (uint)rng.NextInt(int.MaxValue) };
        }
        // uint.MaxValue keys compete with the excluded one, which must never appear.
        Check(keys, 1999, 7);
        Check(keys, 1500, 7);
        Check(keys, 2000, -1);
        Check(keys, 1, 1999);
    }

    [Fact]
    public void CrowdedBucketFallsBackToAFullSort()
    {
        // One far outlier stretches the range, so 4 000 distinct keys in reverse order share the first bucket.
        var keys = new uint[4001];
        for (int j = 0; j < 4000; j++)
        {
            keys[j] = (uint)(4000 - j);
        }
        keys[4000] = uint.MaxValue - 1;
        Check(keys, 3000, -1);
        Check(keys, 4000, 4000);
    }

    [Fact]
    public void MisleadingSampleRaisesTheThreshold()
    {
        // The sampled keys (every eighth) are the smallest, so the first threshold lets through too few.
        var keys = new uint[4096];
        for (int j = 0; j < keys.Length; j++)
        {
            keys[j] = j % 8 == 0 ? (uint)j : 1_000_000u + (uint)(j * 37 % 4096);
        }
        Check(keys, 1000, -1);
        Check(keys, 513, 8);
        Check(keys, 4095, 0);
    }

    [Fact]
    public void KZeroAndBadArguments()
    {
        var selector = new TopKSelector(4);
        Assert.True(selector.Smallest(new uint[4], 0).IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>("k", () => selector.Smallest(new uint[4], 5));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => selector.Smallest(new uint[4], 4, exclude: 1));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => selector.Smallest(new uint[4], -1));
        Assert.Throws<ArgumentOutOfRangeException>("exclude", () => selector.Smallest(new uint[4], 1, exclude: 4));
        Assert.Throws<ArgumentOutOfRangeException>("exclude", () => selector.Smallest(new uint[4], 1, exclude: -2));
        Assert.Throws<ArgumentException>("keys", () => selector.Smallest(new uint[5], 1));
        Assert.Throws<ArgumentOutOfRangeException>("capacity", () => new TopKSelector(-1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DistanceKeysMatchTheElementwiseFormula(bool cosine)
    {
        // Lengths around the vector width, special values included.
        foreach (int n in new[] { 1, 7, 8, 9, 37 })
        {
            var rng = new Prng((ulong)n);
            var dots = new float[n];
            var norms = new float[n];
            for (int j = 0; j < n; j++)
            {
                dots[j] = (float)rng.NextNormal();
                norms[j] = (float)(rng.NextDouble() * 2);
            }
            float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0.5f, 2f];
            for (int j = 0; j < Math.Min(n, specials.Length); j++)
            {
                dots[(j * 5) % n] = specials[j];
            }
            if (n > 3)
            {
                norms[3] = 1.25f;
                dots[3] = 1f;   // (−2 + 1.25) + 0.75 = 0 exactly
            }
            float offset = cosine ? 1f : 0.75f;
            // Reference: the element-wise steps written out, NaN → +∞, then the float bits with the sign bit set
            // (clamped values are non-negative); unclamped (−dot), the order of the keys is the order of the floats.
            var expected = new uint[n];
            for (int j = 0; j < n; j++)
            {
                float d = cosine ? 1f - dots[j] : (dots[j] * -2f) + norms[j] + offset;
                float v = float.IsNaN(d) ? float.PositiveInfinity : Math.Max(d, 0f);
                expected[j] = BitConverter.SingleToUInt32Bits(v == 0 ? 0f : v) | 0x8000_0000u;
            }
            var keys = new uint[n];
            BlockedKnn.Keys((float[])dots.Clone(), cosine ? default : norms, offset, clamp: true, keys);
            Assert.Equal(expected, keys);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(BitConverter.UInt32BitsToSingle(expected[j] & 0x7FFF_FFFFu), BlockedKnn.KeyToDistance((ulong)keys[j] << 32));
            }

            var negated = new uint[n];
            BlockedKnn.Keys((float[])dots.Clone(), default, 0f, clamp: false, negated);
            for (int a = 0; a < n; a++)
            {
                float da = float.IsNaN(dots[a]) ? float.PositiveInfinity : -dots[a];
                Assert.Equal(da == 0 ? 0f : da, BlockedKnn.KeyToDistance((ulong)negated[a] << 32));
                for (int b = 0; b < n; b++)
                {
                    float db = float.IsNaN(dots[b]) ? float.PositiveInfinity : -dots[b];
                    Assert.Equal(da.CompareTo(db == 0 ? 0f : db) < 0 && !(da == 0 && db == 0), negated[a] < negated[b]);
                }
            }
        }
    }
}

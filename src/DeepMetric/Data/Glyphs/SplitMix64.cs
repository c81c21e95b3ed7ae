namespace DeepMetric.Data.Glyphs;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): a tiny
/// generator whose output is fixed by its algorithm, so a glyph set is the same on every runtime.
/// </summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    /// <summary>A generator keyed by several values (mixed in order).</summary>
    internal static SplitMix64 Keyed(ulong a, ulong b, ulong c = 0, ulong d = 0)
    {
        var g = new SplitMix64(a);
        ulong s = g.Next() ^ b;
        g = new SplitMix64(s);
        s = g.Next() ^ c;
        g = new SplitMix64(s);
        s = g.Next() ^ d;
        return new SplitMix64(s);
    }

    internal ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    internal double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    internal double Uniform(double lo, double hi) => lo + ((hi - lo) * NextDouble());

    /// <summary>Uniform integer in [0, n).</summary>
    internal int NextInt(int n) => (int)((Next() >> 33) % (ulong)n);

    /// <summary>Standard normal by Box–Muller (one of the pair).</summary>
    internal double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle.</summary>
    internal void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

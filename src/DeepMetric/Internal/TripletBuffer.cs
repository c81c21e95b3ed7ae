using System.Runtime.CompilerServices;

namespace DeepMetric.Internal;

/// <summary>
/// Growable (anchor, positive, negative) arrays for miners: appends without List&lt;int&gt; bounds and version checks,
/// doubling capacity, then trims once into <see cref="TripletTuples"/>.
/// </summary>
internal sealed class TripletBuffer(int capacity)
{
    private int[] _a = new int[Math.Max(capacity, 16)];
    private int[] _p = new int[Math.Max(capacity, 16)];
    private int[] _n = new int[Math.Max(capacity, 16)];
    private int _count;

    /// <summary>Triplets added so far.</summary>
    public int Count => _count;

    /// <summary>Appends one triplet.</summary>
    public void Add(int anchor, int positive, int negative)
    {
        if (_count == _a.Length)
        {
            EnsureCapacity(_count + 1);
        }
        _a[_count] = anchor;
        _p[_count] = positive;
        _n[_count] = negative;
        _count++;
    }

    /// <summary>
    /// Room for <paramref name="count"/> negatives of triplets sharing one anchor and one positive: fill a prefix of the
    /// span, then <see cref="Commit"/> its length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // called per (anchor, positive): keep it in the miner's optimised loop
    public Span<int> Reserve(int count)
    {
        int needed = checked(_count + count);
        if (needed > _n.Length)
        {
            EnsureCapacity(needed);
        }
        return _n.AsSpan(_count, count);
    }

    /// <summary>Appends the first <paramref name="kept"/> negatives written into the span of <see cref="Reserve"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit(int anchor, int positive, int kept)
    {
        _a.AsSpan(_count, kept).Fill(anchor);
        _p.AsSpan(_count, kept).Fill(positive);
        _count += kept;
    }

    /// <summary>Forgets the triplets, keeping the capacity (for a buffer reused across batches).</summary>
    public void Clear() => _count = 0;

    /// <summary>The triplets as exact-length arrays.</summary>
    public TripletTuples ToTuples() => new(Copy(_a, _count), Copy(_p, _count), Copy(_n, _count));

    private static int[] Copy(int[] source, int count)
    {
        var copy = GC.AllocateUninitializedArray<int>(count);
        source.AsSpan(0, count).CopyTo(copy);
        return copy;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _a.Length)
        {
            return;
        }
        int size = Math.Max(needed, (int)Math.Min(Array.MaxLength, 2L * _a.Length));
        Array.Resize(ref _a, size);
        Array.Resize(ref _p, size);
        Array.Resize(ref _n, size);
    }
}

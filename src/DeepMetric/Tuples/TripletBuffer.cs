namespace DeepMetric;

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
            int size = checked(_a.Length * 2);
            Array.Resize(ref _a, size);
            Array.Resize(ref _p, size);
            Array.Resize(ref _n, size);
        }
        _a[_count] = anchor;
        _p[_count] = positive;
        _n[_count] = negative;
        _count++;
    }

    /// <summary>The triplets as exact-length arrays.</summary>
    public TripletTuples ToTuples() => new(_a.AsSpan(0, _count).ToArray(), _p.AsSpan(0, _count).ToArray(), _n.AsSpan(0, _count).ToArray());
}

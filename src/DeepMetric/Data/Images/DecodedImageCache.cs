namespace DeepMetric.Data.Images;

/// <summary>
/// A least-recently-used cache of decoded images bounded in bytes (<see cref="PixelImage.ByteCount"/>), shared by a
/// dataset and its subsets, so repeated epochs over a set that fits skip decoding while a larger set never holds
/// more than the bound. Thread-safe; two threads missing the same file at once both decode it (no lock held while
/// decoding).
/// </summary>
public sealed class DecodedImageCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, PixelImage Image)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, PixelImage Image)> _order = new();

    /// <summary>Creates a cache holding at most <paramref name="capacityBytes"/> bytes of samples.</summary>
    public DecodedImageCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        CapacityBytes = capacityBytes;
    }

    /// <summary>The bound in bytes.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes held now.</summary>
    public long SizeBytes { get; private set; }

    /// <summary>Images held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>The image cached under <paramref name="key"/>, or the result of <paramref name="decode"/>, cached if it fits.</summary>
    public PixelImage GetOrAdd(string key, Func<string, PixelImage> decode)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(decode);
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return hit.Value.Image;
            }
        }
        var image = decode(key);
        if (image.ByteCount > CapacityBytes)
        {
            return image;
        }
        lock (_gate)
        {
            if (_map.ContainsKey(key))
            {
                return image;
            }
            _map[key] = _order.AddFirst((key, image));
            SizeBytes += image.ByteCount;
            while (SizeBytes > CapacityBytes)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Key);
                SizeBytes -= last.Value.Image.ByteCount;
            }
        }
        return image;
    }
}

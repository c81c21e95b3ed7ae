using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepMetric.Evaluation;

/// <summary>
/// Picks the k smallest of n unsigned keys, sorted by (key, index), reusing its buffers from one call to the next.
/// </summary>
/// <remarks>
/// A histogram of every eighth key (keys bucketed by their offset from the minimum, a monotone map) gives a threshold
/// that about k keys, and surely at least k, do not exceed; one vectorised pass collects those candidates in index
/// order (the threshold is raised and the pass repeated in the rare case fewer than k pass). The candidates are then
/// bucketed the same way over [minimum, threshold]: a counting pass, a scatter of the buckets up to the one holding the
/// k-th key (indices stay ascending inside a bucket, so equal keys are already in order), and an insertion sort that
/// only fixes the few inversions within buckets, with a radix sort as the fallback when buckets are crowded.
/// About n vector operations plus a few scalar passes over k keys; no full sort of the n keys.
/// </remarks>
internal sealed class TopKSelector
{
    private const int SampleStride = 8;

    private readonly int[] _counts = new int[MaxBuckets + 1];
    private readonly ulong[] _candidates;
    private readonly ulong[] _sorted;
    private readonly ulong[] _scratch;

    private const int MaxBuckets = 4096;

    /// <summary>A selector for key spans of length up to <paramref name="capacity"/>.</summary>
    public TopKSelector(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        // The candidate pass writes whole vectors of lanes before it knows which to keep.
        _candidates = GC.AllocateUninitializedArray<ulong>(capacity + Vector256<uint>.Count);
        _sorted = GC.AllocateUninitializedArray<ulong>(capacity);
        _scratch = GC.AllocateUninitializedArray<ulong>(capacity);
    }

    /// <summary>
    /// The <paramref name="k"/> smallest keys as <c>(key &lt;&lt; 32) | index</c>, ascending, so ties go to the lower index.
    /// </summary>
    /// <param name="keys">The keys; the one at <paramref name="exclude"/> is overwritten with <see cref="uint.MaxValue"/>.</param>
    /// <param name="k">How many to select, in [0, n] (at most n − 1 when one is excluded).</param>
    /// <param name="exclude">An index never to select, or −1.</param>
    /// <returns>A view of an internal buffer, valid until the next call.</returns>
    public ReadOnlySpan<ulong> Smallest(Span<uint> keys, int k, int exclude = -1)
    {
        int n = keys.Length;
        if (n > _sorted.Length)
        {
            throw new ArgumentException($"At most {_sorted.Length} keys, got {n}.", nameof(keys));
        }
        if (exclude < -1 || exclude >= n)
        {
            throw new ArgumentOutOfRangeException(nameof(exclude), exclude, $"Must be −1 or an index below {n}.");
        }
        int available = exclude >= 0 ? n - 1 : n;
        if ((uint)k > (uint)available)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, {available}].");
        }
        if (k == 0)
        {
            return [];
        }

        // Range of the keys that can be selected; the excluded one becomes the largest possible key, so it passes a
        // threshold only when that threshold is uint.MaxValue (every key passes, and it is removed).
        uint lo, hi;
        if (exclude >= 0)
        {
            keys[exclude] = 0;
            hi = TensorPrimitives.Max<uint>(keys);
            keys[exclude] = uint.MaxValue;
            lo = TensorPrimitives.Min<uint>(keys);
        }
        else
        {
            hi = TensorPrimitives.Max<uint>(keys);
            lo = TensorPrimitives.Min<uint>(keys);
        }

        // Threshold from the sample: the upper edge of the bucket holding its (k/n quantile + 2σ + 1)-th key.
        int buckets = Buckets(n / 2);
        int shift = Shift(hi > lo ? hi - lo : 0, buckets);
        uint last = (uint)buckets - 1;
        int stride = n >= 1024 ? SampleStride : 1;
        var counts = _counts.AsSpan(0, buckets);
        counts.Clear();
        int sampleSize = 0;
        for (int j = 0; j < n; j += stride)
        {
            counts[(int)Math.Min((keys[j] - lo) >> shift, last)]++;
            sampleSize++;
        }
        double expected = (double)k * sampleSize / n;
        int target = stride == 1 ? k : (int)Math.Min(sampleSize, Math.Ceiling(expected + (2 * Math.Sqrt(expected)) + 1));
        int bucket = -1, seen = 0, count;
        while (true)
        {
            while (seen < target && bucket < buckets - 1)
            {
                seen += counts[++bucket];
            }
            uint threshold = bucket >= buckets - 1 ? uint.MaxValue : (uint)Math.Min(lo + ((ulong)(bucket + 1) << shift) - 1, uint.MaxValue);
            count = Collect(keys, threshold);
            if (exclude >= 0 && threshold == uint.MaxValue)
            {
                // Every key passed, the excluded one too (it may tie with real uint.MaxValue keys): drop it.
                var all = _candidates.AsSpan(0, count);
                all[(exclude + 1)..].CopyTo(all[exclude..]);
                count--;
            }
            if (count >= k)
            {
                hi = threshold;
                break;
            }
            // Too few below it (a sampling accident): aim at least twice as high, so retries stay few.
            target = Math.Max(seen + 1, 2 * target);
        }
        return SortSmallest(_candidates.AsSpan(0, count), k, lo, hi);
    }

    // Candidates ≤ threshold as (key << 32) | index, in index order; returns their number.
    private int Collect(ReadOnlySpan<uint> keys, uint threshold)
    {
        int n = keys.Length, c = 0, j = 0;
        ref ulong output = ref MemoryMarshal.GetArrayDataReference(_candidates);
        if (Vector256.IsHardwareAccelerated)
        {
            ref uint pk = ref MemoryMarshal.GetReference(keys);
            var t = Vector256.Create(threshold);
            for (; j <= n - Vector256<uint>.Count; j += Vector256<uint>.Count)
            {
                uint mask = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref pk, (nuint)j), t).ExtractMostSignificantBits();
                if (mask == 0)
                {
                    continue;
                }
                // Branch-free: write every lane, advance past the kept ones.
                for (int lane = 0; lane < Vector256<uint>.Count; lane++)
                {
                    int idx = j + lane;
                    Unsafe.Add(ref output, c) = ((ulong)Unsafe.Add(ref pk, idx) << 32) | (uint)idx;
                    c += (int)((mask >> lane) & 1);
                }
            }
        }
        for (; j < n; j++)
        {
            if (keys[j] <= threshold)
            {
                _candidates[c++] = ((ulong)keys[j] << 32) | (uint)j;
            }
        }
        return c;
    }

    // Sorts the k smallest of the candidates (keys in [lo, hi], in index order) into _sorted.
    private ReadOnlySpan<ulong> SortSmallest(ReadOnlySpan<ulong> candidates, int k, uint lo, uint hi)
    {
        int c = candidates.Length;
        int buckets = Buckets(c * 2);
        int shift = Shift(hi - lo, buckets);
        uint last = (uint)buckets - 1;
        var counts = _counts.AsSpan(0, buckets + 1);
        counts.Clear();
        foreach (ulong v in candidates)
        {
            counts[(int)Math.Min(((uint)(v >> 32) - lo) >> shift, last)]++;
        }
        // Bucket starts up to the one holding the k-th key; later buckets all go to one junk bucket.
        int cum = 0, boundary = 0;
        for (; ; boundary++)
        {
            int size = counts[boundary];
            counts[boundary] = cum;
            cum += size;
            if (cum >= k)
            {
                break;
            }
        }
        uint junk = (uint)boundary + 1;
        counts[boundary + 1] = cum;
        var sorted = _sorted.AsSpan(0, c);
        foreach (ulong v in candidates)
        {
            uint b = Math.Min(Math.Min(((uint)(v >> 32) - lo) >> shift, last), junk);
            sorted[counts[(int)b]++] = v;
        }
        var selected = sorted[..cum];
        if (!InsertionSort(selected, budget: 8 * cum))
        {
            // Many close but unequal keys crowd a few buckets: fall back to a full sort of the selected part.
            Knn.RadixSort(selected, _scratch);
        }
        return selected[..k];
    }

    // A power of two at least size, within [64, 4096].
    private static int Buckets(int size) => (int)Math.Clamp(BitOperations.RoundUpToPowerOf2((uint)Math.Max(size, 1)), 64, MaxBuckets);

    // The smallest-ish shift that maps [0, range] into [0, buckets).
    private static int Shift(uint range, int buckets) => range < (uint)buckets ? 0 : BitOperations.Log2(range / (uint)buckets) + 1;

    // Keys are out of order only within a bucket (equal keys never: they arrive in index order), so this costs the
    // selected count plus the in-bucket inversions. Gives up (false, keys partly sorted) past budget moves.
    private static bool InsertionSort(Span<ulong> keys, int budget)
    {
        for (int i = 1; i < keys.Length; i++)
        {
            ulong v = keys[i];
            int j = i - 1;
            if (keys[j] <= v)
            {
                continue;
            }
            while (j >= 0 && keys[j] > v)
            {
                keys[j + 1] = keys[j];
                j--;
            }
            keys[j + 1] = v;
            budget -= i - 1 - j;
            if (budget < 0)
            {
                return false;
            }
        }
        return true;
    }
}

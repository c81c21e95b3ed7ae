using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Samplers;

/// <summary>
/// A pool of items dealt in shuffled order and reshuffled when used up, so every item is dealt about equally often.
/// The samplers keep one per class (dataset indices) and one over classes.
/// </summary>
internal sealed class ShuffledCycle
{
    private readonly int[] _items;
    private int _next;

    /// <summary>Copies <paramref name="items"/> and shuffles them with <paramref name="rng"/>.</summary>
    public ShuffledCycle(int[] items, Prng rng)
    {
        _items = (int[])items.Clone();
        rng.Shuffle(_items.AsSpan());
    }

    public int Count => _items.Length;

    /// <summary>The next item (repeats only across reshuffles).</summary>
    public int Next(Prng rng)
    {
        if (_next == _items.Length)
        {
            rng.Shuffle(_items.AsSpan());
            _next = 0;
        }
        return _items[_next++];
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (at most <see cref="Count"/> long) with distinct items; when fewer remain
    /// in this round, the leftovers are dropped and a fresh shuffled round starts.
    /// </summary>
    public void TakeDistinct(Span<int> destination, Prng rng)
    {
        if (_items.Length - _next < destination.Length)
        {
            rng.Shuffle(_items.AsSpan());
            _next = 0;
        }
        _items.AsSpan(_next, destination.Length).CopyTo(destination);
        _next += destination.Length;
    }

    /// <summary>Fills <paramref name="destination"/>: distinct items when the pool is large enough, otherwise every item in turn with repeats.</summary>
    public void Take(Span<int> destination, Prng rng)
    {
        if (destination.Length <= _items.Length)
        {
            TakeDistinct(destination, rng);
            return;
        }
        for (int j = 0; j < destination.Length; j++)
        {
            destination[j] = Next(rng);
        }
    }

    /// <summary>Groups dataset indices by label, classes in ascending label order.</summary>
    public static (int[] Labels, int[][] Members) GroupByLabel(ReadOnlySpan<int> labels)
    {
        var byClass = LabelGroups.ByClass(labels);
        var keys = new int[byClass.Count];
        var members = new int[byClass.Count][];
        int c = 0;
        foreach (var (label, list) in byClass)
        {
            keys[c] = label;
            members[c++] = [.. list];
        }
        return (keys, members);
    }
}

using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>
/// Averages the values of each anchor first, then reduces the per-anchor means with an inner reducer
/// (default <see cref="MeanReducer"/>), so anchors with many tuples do not dominate.
/// </summary>
public sealed class PerAnchorReducer : Reducer
{
    /// <summary>Creates the reducer.</summary>
    /// <param name="inner">Reducer applied to the per-anchor means (default mean).</param>
    /// <param name="nonZeroOnly">Average only the positive values of each anchor (anchors with none are dropped).</param>
    public PerAnchorReducer(Reducer? inner = null, bool nonZeroOnly = false)
    {
        Inner = inner ?? new MeanReducer();
        NonZeroOnly = nonZeroOnly;
    }

    /// <summary>The reducer over anchors.</summary>
    public Reducer Inner { get; }

    /// <summary>Whether only positive values are averaged per anchor.</summary>
    public bool NonZeroOnly { get; }

    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels)
    {
        var anchors = term.Anchors ?? throw new ArgumentException($"PerAnchorReducer needs term '{term.Name}' to carry anchor indices.", nameof(term));
        // Weight each value by 1/count(anchor) and sum per anchor with a [anchors × values] matrix product.
        var v = values.ReadOnlySpan;
        var slot = new Dictionary<int, int>();
        var counts = new List<int>();
        var index = new int[anchors.Length];
        for (int i = 0; i < anchors.Length; i++)
        {
            bool kept = !NonZeroOnly || v[i] > 0;
            if (!slot.TryGetValue(anchors[i], out int s))
            {
                if (!kept)
                {
                    index[i] = -1;
                    continue;
                }
                s = slot[anchors[i]] = counts.Count;
                counts.Add(0);
            }
            index[i] = kept ? s : -1;
            if (kept)
            {
                counts[s]++;
            }
        }
        int a = counts.Count;
        var owners = new int[a];
        foreach (var (anchor, s) in slot)
        {
            owners[s] = anchor;
        }
        // Each kept value is weighted by 1/count(its anchor) and scatter-added into its anchor's slot.
        var keptIdx = new List<int>(anchors.Length);
        var slots = new List<int>(anchors.Length);
        var scale = new List<float>(anchors.Length);
        for (int i = 0; i < anchors.Length; i++)
        {
            if (index[i] >= 0)
            {
                keptIdx.Add(i);
                slots.Add(index[i]);
                scale.Add(1f / counts[index[i]]);
            }
        }
        var keptValues = Ops.Mul(Ops.IndexSelect(values, 0, [.. keptIdx]), Tensor.Wrap([.. scale], scale.Count));
        var perAnchor = Ops.ScatterAdd(Tensor.Zeros(a), 0, [.. slots], keptValues);
        return Inner.Reduce(new LossTerm(term.Name, perAnchor, LossTermKind.Element, owners), labels);
    }
}

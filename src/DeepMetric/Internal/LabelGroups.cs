namespace DeepMetric.Internal;

/// <summary>
/// Item indices grouped by label, shared by the samplers, the validation split and the pair samplers, and the dense
/// numbering of labels the class-matrix losses and the clustering metrics use.
/// </summary>
internal static class LabelGroups
{
    /// <summary>The indices of each label's items (ascending), labels in ascending order.</summary>
    public static SortedDictionary<int, List<int>> ByClass(ReadOnlySpan<int> labels)
    {
        var byClass = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (!byClass.TryGetValue(labels[i], out var list))
            {
                byClass[labels[i]] = list = [];
            }
            list.Add(i);
        }
        return byClass;
    }

    /// <summary>The items (ascending) whose class has at least two items, so each has a positive partner.</summary>
    public static List<int> WithPartner(SortedDictionary<int, List<int>> byClass)
    {
        var items = new List<int>();
        foreach (var list in byClass.Values)
        {
            if (list.Count >= 2)
            {
                items.AddRange(list);
            }
        }
        items.Sort();
        return items;
    }

    /// <summary>Each distinct label's column 0, 1, 2, … in order of first appearance.</summary>
    public static Dictionary<int, int> DenseIndex(ReadOnlySpan<int> labels)
    {
        var column = new Dictionary<int, int>();
        foreach (int y in labels)
        {
            column.TryAdd(y, column.Count);
        }
        return column;
    }
}

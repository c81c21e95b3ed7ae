using System.Globalization;

namespace DeepMetric.Data;

/// <summary>Turns label strings read from a file into integer labels and class names.</summary>
internal static class LabelEncoding
{
    /// <summary>
    /// Null when <paramref name="label"/> can name a class; otherwise why not. An empty label, and a number that is not a
    /// non-negative integer ("-1", "3.5", "1e3"), would otherwise silently become a class of its own (often "-1" means
    /// "unlabelled"), so they are refused.
    /// </summary>
    public static string? Problem(string label)
    {
        if (label.Length == 0)
        {
            return "the label is empty";
        }
        if (!int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            return $"the label '{label}' is a number but not a class id (numeric labels must be non-negative integers)";
        }
        return null;
    }

    /// <summary>
    /// When every label is a non-negative integer, the labels are those integers and the class names "0" … max;
    /// otherwise each distinct string is a class, numbered in ordinal string order.
    /// </summary>
    public static (int[] Labels, string[] ClassNames) Encode(IReadOnlyList<string> raw)
    {
        var labels = new int[raw.Count];
        bool numeric = true;
        int max = -1;
        for (int i = 0; i < raw.Count && numeric; i++)
        {
            numeric = int.TryParse(raw[i], NumberStyles.None, CultureInfo.InvariantCulture, out labels[i]);
            max = Math.Max(max, labels[i]);
        }
        if (numeric)
        {
            var names = new string[Math.Max(max + 1, 1)];
            for (int c = 0; c < names.Length; c++)
            {
                names[c] = c.ToString(CultureInfo.InvariantCulture);
            }
            return (labels, names);
        }
        var distinct = new SortedSet<string>(raw, StringComparer.Ordinal);
        var classNames = new string[distinct.Count];
        distinct.CopyTo(classNames);
        var index = new Dictionary<string, int>(classNames.Length, StringComparer.Ordinal);
        for (int c = 0; c < classNames.Length; c++)
        {
            index[classNames[c]] = c;
        }
        for (int i = 0; i < raw.Count; i++)
        {
            labels[i] = index[raw[i]];
        }
        return (labels, classNames);
    }
}

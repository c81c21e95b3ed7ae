namespace DeepMetric.Reporting;

/// <summary>
/// Colours for series and classes: twenty hues; the first ten (one per class of a ten-class dataset) are far apart in
/// CIELAB (every pair at least ΔE*ab 25, so no two classes of a scatter plot look alike), then ten lighter variants.
/// Colours repeat after twenty entries.
/// </summary>
public static class ChartPalette
{
    private static readonly string[] s_colors =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#f2c200", "#e377c2", "#111111", "#8c564b", "#17becf",
        "#74c0fc", "#ffa94d", "#8ce99a", "#ff8787", "#b197fc",
        "#c49a6c", "#faa2c1", "#adb5bd", "#c0eb75", "#66d9e8",
    ];

    /// <summary>Number of distinct colours before the palette repeats.</summary>
    public static int Count => s_colors.Length;

    /// <summary>The colour (as "#rrggbb") for series or class <paramref name="index"/> (≥ 0).</summary>
    public static string Color(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return s_colors[index % s_colors.Length];
    }
}

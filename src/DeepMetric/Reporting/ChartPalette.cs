namespace DeepMetric.Reporting;

/// <summary>
/// Colours for series and classes: twenty hues chosen to stay apart from their neighbours in the list
/// (ten saturated, then ten lighter variants). Colours repeat after twenty entries.
/// </summary>
public static class ChartPalette
{
    private static readonly string[] s_colors =
    [
        "#2f6fd6", "#e8590c", "#2b9a3e", "#d6336c", "#7048e8",
        "#8d5524", "#e64980", "#495057", "#a5a80b", "#0c8599",
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

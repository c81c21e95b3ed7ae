namespace DeepMetric.Reporting;

/// <summary>Renders a report's SVG charts to PNG files with headless Chromium (<see cref="HeadlessChromium"/>).</summary>
internal static class ChartPngExporter
{
    /// <summary>Writes every chart to <c>NAME.png</c> in <paramref name="directory"/> (created).</summary>
    /// <returns>The PNG files written.</returns>
    /// <exception cref="InvalidOperationException">No charts, Chromium is not installed, or a chart failed to render.</exception>
    public static IReadOnlyList<string> Export(IReadOnlyList<ReportChart> charts, string directory, string? chromium)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (charts.Count == 0)
        {
            throw new InvalidOperationException("Build the report before exporting its charts.");
        }
        chromium ??= HeadlessChromium.FindExecutable()
            ?? throw new InvalidOperationException("PNG export needs Chromium (looked for /usr/bin/chromium and /usr/bin/chromium-browser); install it, e.g. 'apt-get install -y chromium'.");
        Directory.CreateDirectory(directory);
        string temp = Directory.CreateTempSubdirectory("deepmetric-png-").FullName;
        var written = new List<string>(charts.Count);
        try
        {
            foreach (var chart in charts)
            {
                string svg = Path.Combine(temp, chart.Name + ".svg");
                File.WriteAllText(svg, chart.Svg);
                string png = Path.Combine(directory, chart.Name + ".png");
                if (!HeadlessChromium.TryScreenshot(svg, png, chart.Width, chart.Height, chromium))
                {
                    throw new InvalidOperationException($"Chromium ({chromium}) failed to render the chart '{chart.Name}'.");
                }
                written.Add(png);
            }
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
        return written;
    }
}

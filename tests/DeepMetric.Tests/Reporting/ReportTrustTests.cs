using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepMetric.Analysis;
using DeepMetric.Data;
using DeepMetric.Miners;
using DeepMetric.Reporting;
using DeepMetric.Runs;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;

namespace DeepMetric.Tests.Reporting;

/// <summary>Issue 15 item 12: readable charts (page width, axis labels, class colours, loss scales) and the baselines in the report.</summary>
public sealed class ReportTrustTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dm-report-trust-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ImageDataset Images(int n, ulong seed) => FourClassImages.Create(n, seed, noise: 0.3f);

    // CIELAB of an sRGB colour (D65), written out here rather than taken from the code under test.
    private static (double L, double A, double B) Lab(string hex)
    {
        double Linear(int i)
        {
            double c = int.Parse(hex.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
        double r = Linear(1), g = Linear(3), b = Linear(5);
        double x = ((0.4124 * r) + (0.3576 * g) + (0.1805 * b)) / 0.95047;
        double y = (0.2126 * r) + (0.7152 * g) + (0.0722 * b);
        double z = ((0.0193 * r) + (0.1192 * g) + (0.9505 * b)) / 1.08883;
        static double F(double t) => t > 0.008856 ? Math.Cbrt(t) : (7.787 * t) + (16.0 / 116);
        return ((116 * F(y)) - 16, 500 * (F(x) - F(y)), 200 * (F(y) - F(z)));
    }

    [Fact]
    public void TheTenClassColoursAreFarApart()
    {
        double closest = double.MaxValue;
        for (int i = 0; i < 10; i++)
        {
            for (int j = i + 1; j < 10; j++)
            {
                var (a, b) = (Lab(ChartPalette.Color(i)), Lab(ChartPalette.Color(j)));
                double d = Math.Sqrt(Math.Pow(a.L - b.L, 2) + Math.Pow(a.A - b.A, 2) + Math.Pow(a.B - b.B, 2));
                closest = Math.Min(closest, d);
            }
        }
        // ΔE*ab 25 and more is an obvious difference; the old palette had two pinks 7 apart.
        Assert.True(closest >= 25, $"closest pair ΔE {closest:F1}");
    }

    [Fact]
    public void LongTickLabelsDoNotRunIntoTheAxisTitle()
    {
        var lr = new LineChart { Title = "Learning rate", XLabel = "iteration", YLabel = "lr" };
        lr.Add("lr", [0, 1, 2, 3], [1e-3, 5e-4, 2.5e-4, 1.25e-5]);
        var svg = XDocument.Parse(lr.ToSvg());
        XNamespace ns = "http://www.w3.org/2000/svg";
        var title = svg.Descendants(ns + "text").Single(t => t.Value == "lr" && (string?)t.Attribute("transform") is { } tr && tr.Contains("rotate", StringComparison.Ordinal));
        double titleRight = double.Parse((string)title.Attribute("x")!, CultureInfo.InvariantCulture) + 8;   // half the 12-px line, rotated
        var labels = svg.Descendants(ns + "text").Where(t => ((string?)t.Attribute("class") ?? "").Contains("tick-label", StringComparison.Ordinal)
            && (string?)t.Attribute("text-anchor") == "end").ToList();
        Assert.NotEmpty(labels);
        foreach (var label in labels)
        {
            double end = double.Parse((string)label.Attribute("x")!, CultureInfo.InvariantCulture);
            double start = end - (6.5 * label.Value.Length);   // 11-px digits are at most ~6.5 px wide
            Assert.True(start > titleRight, $"tick label '{label.Value}' starts at {start:F0}, the axis title ends at {titleRight:F0}");
        }
    }

    [Theory]
    [InlineData(new[] { 0.05, 0.04, 0.05 }, new[] { 1.5, 1.4, 1.6 }, true)]
    [InlineData(new[] { 0.5, 0.4, 0.3 }, new[] { 0.6, 0.5, 0.7 }, false)]
    [InlineData(new[] { 0.0, 0.0 }, new[] { 1.0, 1.0 }, true)]
    public void LossesOnDifferentScalesGetOneChartEach(double[] a, double[] b, bool separate)
    {
        Assert.Equal(separate, ReportHtmlRenderer.LossScalesDiffer([a, b]));
        Assert.False(ReportHtmlRenderer.LossScalesDiffer([a]));
    }

    private string MakeRun(string name, double lossScale, RunBaseline? baseline)
    {
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        new RunConfig { Model = "mlp", Loss = "triplet", Miner = "semihard", Epochs = 1, IterationsPerEpoch = 30, BatchSize = 16, EmbeddingSize = 8, Lr = 1e-3f }
            .Save(Path.Combine(dir, RunDirectory.ConfigFile));
        Models.Mlp(8, seed: 3, inputSize: 16).Save(Path.Combine(dir, RunDirectory.ModelFile));
        File.WriteAllLines(Path.Combine(dir, RunDirectory.IterationsFile),
            Enumerable.Range(1, 30).Select(i => IterationLog.Line(new IterationRecord(i, 1, lossScale * (1 - (0.01 * i)), 10, 1e-3))));
        baseline?.Save(Path.Combine(dir, RunDirectory.BaselineFile));
        return dir;
    }

    [Fact]
    public void TheReportShowsTheUntrainedAndRawPixelBaselinesAndSplitsLossScales()
    {
        var unseen = Images(48, 1);
        var baseline = new RunBaseline(0.1234, new Dictionary<int, double> { [1] = 0.1234 }, 0.2345, 0.3456, 0.4, 0.5, 48);
        string a = MakeRun("small-loss", 0.05, baseline);
        string b = MakeRun("large-loss", 1.5, null);
        var builder = new ReportBuilder(unseen) { TSneOptions = new TSneOptions { Iterations = 100 }, PairCount = 100, QueryCount = 2, Seed = 1 };
        string html = builder.Build([ReportRun.Load(a), ReportRun.Load(b)]);

        // Raw pixels, leave-one-out P@1 by a double-precision loop.
        var x = unseen.Pixels.ToArray();
        var labels = unseen.Labels.ToArray();
        int hits = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int best = -1;
            double bestD = double.MaxValue;
            for (int j = 0; j < labels.Length; j++)
            {
                if (j == i)
                {
                    continue;
                }
                double d = 0;
                for (int t = 0; t < 16; t++)
                {
                    d += Math.Pow(x[(i * 16) + t] - (double)x[(j * 16) + t], 2);
                }
                if (d < bestD)
                {
                    (best, bestD) = (j, d);
                }
            }
            hits += labels[best] == labels[i] ? 1 : 0;
        }
        string rawP1 = ((double)hits / labels.Length).ToString("F4", CultureInfo.InvariantCulture);

        int at = html.IndexOf("Against the baselines", StringComparison.Ordinal);
        Assert.True(at >= 0, "no baseline table");
        string table = html[at..html.IndexOf("</table>", at, StringComparison.Ordinal)];
        var p1 = Regex.Match(table, "<tr><td>P@1</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>");
        Assert.True(p1.Success, table);
        Assert.Equal("0.1234", p1.Groups[2].Value);
        Assert.Equal(rawP1, p1.Groups[3].Value);
        Assert.Contains("<td>MAP@R</td>", table, StringComparison.Ordinal);
        // The second run kept no baseline: a dash, not a wrong number.
        int second = html.IndexOf("Against the baselines", at + 1, StringComparison.Ordinal);
        Assert.Matches("<tr><td>P@1</td><td>[^<]*</td><td>–</td>", html[second..]);

        // A 0.05 loss and a 1.5 loss: one chart each, not one shared axis.
        Assert.Contains("Training loss: small-loss", html, StringComparison.Ordinal);
        Assert.Contains("Training loss: large-loss", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Training loss (smoothed)", html, StringComparison.Ordinal);
        // Charts stretch over their share of the page.
        Assert.Contains("figure svg{display:block;width:100%", html, StringComparison.Ordinal);
    }
}

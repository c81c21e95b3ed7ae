using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepMetric.Analysis;
using DeepMetric.Calibration;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Reporting;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;

namespace DeepMetric.Tests.Reporting;

public sealed class ReportBuilderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dm-report-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static ImageDataset Images(int n, ulong seed) => FourClassImages.Create(n, seed, noise: 0.2f);

    private static Metrics M(double p1, double map) =>
        new(p1, new Dictionary<int, double> { [1] = p1, [2] = p1 + 0.05, [4] = 0.9, [8] = 0.95 }, 0.5, map, 0.6, 0.7, 48);

    private string MakeRun(string name, bool threshold, bool withLogs = true)
    {
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RunDirectory.ConfigFile),
            """{"note":"<b>&amp;","model":"mlp","loss":"triplet","miner":"semihard","epochs":2,"iterations_per_epoch":3,"batch_size":16,"embedding_size":8,"lr":0.001,"scheduler":"none","seed":0}""");
        Models.Mlp(8, seed: 3, inputSize: 16).Save(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "metrics.json"), """{"train_seconds":12.5,"precision_at_1":0.5}""");
        if (withLogs)
        {
            var epochs = new[]
            {
                new EpochResult(1, 3, 0.5, 100, 1000, 6, M(0.4, 0.2), 0.1) { Iteration = 3, LearningRate = 1e-3f, IsBest = true },
                new EpochResult(2, 3, 0.4, 80, 1000, 6.5, M(0.5, 0.3), 0.1) { Iteration = 6, LearningRate = 1e-3f, IsBest = true },
            };
            File.WriteAllLines(Path.Combine(dir, RunDirectory.MetricsFile), epochs.Select(MetricsHistoryJson.Line));
            File.WriteAllLines(Path.Combine(dir, RunDirectory.IterationsFile),
                Enumerable.Range(1, 6).Select(i => IterationLog.Line(new IterationRecord(i, ((i - 1) / 3) + 1, 0.6 - (0.03 * i), 100 - i, 1e-3))));
        }
        if (threshold)
        {
            new CalibratedThreshold(0.8f, DeepMetric.Search.VectorMetric.L2, 0.9, 0.5, 0.64, CalibrationMethod.TargetPrecision, 0.9, 10, 10)
                .Save(CalibratedThreshold.PathFor(Path.Combine(dir, "model.safetensors")));
        }
        return dir;
    }

    private static ReportBuilder Builder() =>
        new(Images(48, 1), Images(40, 2)) { TSneOptions = new TSneOptions { Iterations = 200 }, PairCount = 300, QueryCount = 3, Seed = 4 };

    // Checks what a browser needs from a self-contained page; returns the SVG documents.
    private static List<XDocument> CheckSelfContained(string html)
    {
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Regex.Count(html, "<section"), Regex.Count(html, "</section>"));
        Assert.Equal(Regex.Count(html, "<table"), Regex.Count(html, "</table>"));
        foreach (Match src in Regex.Matches(html, "src=\"([^\"]*)\""))
        {
            Assert.StartsWith("data:image/png;base64,", src.Groups[1].Value, StringComparison.Ordinal);
        }
        var pngs = Regex.Matches(html, "data:image/png;base64,([A-Za-z0-9+/=]+)");
        Assert.NotEmpty(pngs);
        foreach (Match m in pngs)
        {
            var decoded = TestPng.Decode(Convert.FromBase64String(m.Groups[1].Value));
            Assert.True(decoded.Width > 0 && decoded.Height > 0);
        }
        var svgs = Regex.Matches(html, "<svg[\\s\\S]*?</svg>").Select(m => XDocument.Parse(m.Value)).ToList();
        Assert.Equal(Regex.Count(html, "<svg"), svgs.Count);
        Assert.All(svgs, d => Assert.Equal(XName.Get("svg", "http://www.w3.org/2000/svg"), d.Root!.Name));
        return svgs;
    }

    [Fact]
    public void SingleRun_AllSections_SelfContained_Deterministic()
    {
        string dir = MakeRun("alpha", threshold: true);
        var builder = Builder();
        string html = builder.Build([ReportRun.Load(dir)]);
        var svgs = CheckSelfContained(html);
        // loss, tuples, lr, validation, recall, pca, t-SNE, distances, precision/recall.
        Assert.Equal(9, svgs.Count);
        Assert.Equal(svgs.Count, builder.Charts.Count);
        Assert.Equal(builder.Charts.Count, builder.Charts.Select(c => c.Name).Distinct().Count());
        foreach (string id in new[] { "summary", "curves", "embeddings", "distances", "neighbours" })
        {
            Assert.Contains($"<section id=\"{id}\">", html, StringComparison.Ordinal);
        }
        foreach (string metric in new[] { "P@1", "Recall@1", "Recall@32", "R-Precision", "MAP@R", "NMI", "AMI", "seen classes", "12.5 s" })
        {
            Assert.True(html.Contains($">{metric}<", StringComparison.Ordinal), metric);
        }
        Assert.Contains("chosen t = 0.8", html, StringComparison.Ordinal);
        Assert.Contains("<td>&lt;b&gt;&amp;amp;</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("No calibration", html, StringComparison.Ordinal);
        Assert.Contains("mlp, emb 8 · triplet + semihard", html, StringComparison.Ordinal);
        Assert.Equal(html, Builder().Build([ReportRun.Load(dir)]));
    }

    [Fact]
    public void WithoutLogsOrCalibration_SaysSo_AndWritesAtomically()
    {
        string dir = MakeRun("bare", threshold: false, withLogs: false);
        var builder = Builder();
        string target = Path.Combine(dir, RunDirectory.ReportFile);
        builder.Write([ReportRun.Load(dir)], target);
        string html = File.ReadAllText(target);
        CheckSelfContained(html);
        Assert.Contains("No calibrated threshold", html, StringComparison.Ordinal);
        Assert.Contains("no loss logged", html, StringComparison.Ordinal);
        Assert.Contains("--validation-fraction", html, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void SeveralRuns_AddAComparison()
    {
        string a = MakeRun("a", threshold: false);
        string b = MakeRun("b", threshold: true);
        var builder = Builder();
        string html = builder.Build([ReportRun.Load(a), ReportRun.Load(b)]);
        CheckSelfContained(html);
        Assert.Contains("<section id=\"comparison\">", html, StringComparison.Ordinal);
        Assert.Contains("<section id=\"run1-summary\">", html, StringComparison.Ordinal);
        Assert.Contains("<section id=\"run2-neighbours\">", html, StringComparison.Ordinal);
        Assert.Contains(builder.Charts, c => c.Name == "compare-loss");
        Assert.Equal(builder.Charts.Count, builder.Charts.Select(c => c.Name).Distinct().Count());
    }

    [Fact]
    public void ComparisonRows_OneRowPerRun_InOrder()
    {
        var rows = ReportHtmlRenderer.ComparisonRows(
        [
            new RunSummary("r1", "mlp", 1234, 5.25, M(0.5, 0.25), new ClusteringScores(0.1, 0.05, 4), null, null),
            new RunSummary("r2", "cnn", 99, double.NaN, M(0.75, 0.5), new ClusteringScores(0.3, 0.2, 4), M(0.9, 0.8), new ClusteringScores(0.5, 0.4, 4)),
        ], [1, 2, 4, 8, 16, 32]);
        Assert.Equal(3, rows.Count);
        Assert.Equal(["run", "recipe", "parameters", "train time", "P@1", "R@1", "R@2", "R@4", "R@8", "R-Precision", "MAP@R", "NMI", "AMI", "seen P@1", "seen MAP@R"], rows[0]);
        Assert.Equal(["r1", "mlp", "1,234", "5.2 s", "0.5000", "0.5000", "0.5500", "0.9000", "0.9500", "0.5000", "0.2500", "0.1000", "0.0500", "–", "–"], rows[1]);
        Assert.Equal(["r2", "cnn", "99", "–", "0.7500", "0.7500", "0.8000", "0.9000", "0.9500", "0.5000", "0.5000", "0.3000", "0.2000", "0.9000", "0.8000"], rows[2]);
    }

    [Fact]
    public void Load_BadRunDirectories_ClearErrors()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ReportRun.Load(Path.Combine(_root, "nope")));
        string empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        Assert.Contains("no config.json", Assert.Throws<InvalidDataException>(() => ReportRun.Load(empty)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(empty, RunDirectory.ConfigFile), "{not json");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => ReportRun.Load(empty)).Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(empty, RunDirectory.ConfigFile), "{}");
        Assert.Contains("no model weights", Assert.Throws<InvalidDataException>(() => ReportRun.Load(empty)).Message, StringComparison.Ordinal);

        string dir = MakeRun("corrupt", threshold: false);
        File.WriteAllText(CalibratedThreshold.PathFor(Path.Combine(dir, "model.safetensors")), "garbage");
        Assert.Null(ReportRun.Load(dir).Threshold);
        File.WriteAllText(Path.Combine(dir, "model.safetensors"), "garbage");
        Assert.Throws<InvalidDataException>(() => Builder().Build([ReportRun.Load(dir)]));
        File.WriteAllText(Path.Combine(dir, RunDirectory.MetricsFile), "{\"epoch\":1}\n");
        Assert.Throws<InvalidDataException>(() => ReportRun.Load(dir));
        Assert.Throws<ArgumentException>(() => Builder().Build([]));
        Assert.Throws<InvalidOperationException>(() => Builder().ExportPng(_root));
    }
}

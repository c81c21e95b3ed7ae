using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DeepMetric.Tests.TestUtil;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

public sealed class ReportCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("deepmetric-report-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Train(string name, params string[] extra)
    {
        string dir = Path.Combine(_root, name);
        var (code, _, err) = Run(["train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "5", "--batch-size", "64", "--m-per-class", "16",
            "--embedding-size", "16", "--quiet", "--run-dir", dir, .. extra]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        return dir;
    }

    private static void AssertSelfContained(string html)
    {
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var svgs = Regex.Matches(html, "<svg[\\s\\S]*?</svg>");
        Assert.True(svgs.Count >= 7, $"{svgs.Count} charts");
        foreach (Match svg in svgs)
        {
            XDocument.Parse(svg.Value);
        }
        var pngs = Regex.Matches(html, "data:image/png;base64,([A-Za-z0-9+/=]+)");
        Assert.NotEmpty(pngs);
        foreach (Match png in pngs)
        {
            Assert.True(TestPng.Decode(Convert.FromBase64String(png.Groups[1].Value)).Width > 0);
        }
    }

    [Fact]
    public void TrainWritesIterationsAndReport_ReportCommandRebuildsIt()
    {
        string dir = Train("run");
        var iterations = File.ReadAllLines(Path.Combine(dir, "iterations.jsonl"));
        Assert.Equal(5, iterations.Length);
        Assert.StartsWith("{\"iteration\":1,\"epoch\":1,\"loss\":", iterations[0], StringComparison.Ordinal);
        string auto = File.ReadAllText(Path.Combine(dir, "report.html"));
        AssertSelfContained(auto);
        Assert.Contains("Recall@32", auto, StringComparison.Ordinal);
        Assert.Contains("seen classes", auto, StringComparison.Ordinal);
        Assert.Contains("Evaluation data: Fashion-MNIST test split from ", auto, StringComparison.Ordinal);

        string target = Path.Combine(_root, "out", "r.html");
        var (code, output, err) = Run("report", dir, "--data-dir", Subset, "--output", target);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Equal($"report: {target}", output.Trim());
        // Same inputs, same seed: the same page.
        Assert.Equal(auto, File.ReadAllText(target));
    }

    [Fact]
    public void NoReportFlag_AndComparisonOfTwoRuns()
    {
        string a = Train("a", "--no-report");
        Assert.False(File.Exists(Path.Combine(a, "report.html")));
        string b = Train("b", "--no-report", "--loss", "contrastive", "--miner", "none");
        string target = Path.Combine(_root, "compare.html");
        var (code, _, err) = Run("report", a, b, "--data-dir", Subset, "-o", target);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        string html = File.ReadAllText(target);
        AssertSelfContained(html);
        Assert.Contains("<section id=\"comparison\">", html, StringComparison.Ordinal);
        Assert.Contains("<td>a</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>b</td>", html, StringComparison.Ordinal);
        Assert.Contains("no miner in this run", html, StringComparison.Ordinal);
    }

    [Fact]
    public void BadRunDirectories_OneLineErrors()
    {
        var (code, output, err) = Run("report", Path.Combine(_root, "missing"), "--data-dir", Subset);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not exist", err, StringComparison.Ordinal);

        string empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        (code, _, err) = Run("report", empty, "--data-dir", Subset);
        Assert.Equal(1, code);
        Assert.Contains("no config.json", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        File.WriteAllText(Path.Combine(empty, "config.json"), "{\"model\": ");
        (code, _, err) = Run("report", empty, "--data-dir", Subset);
        Assert.Equal(1, code);
        Assert.Contains("not valid JSON", err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        (code, _, err) = Run("report", empty, empty, "--data-dir", Subset);
        Assert.Equal(2, code);
        Assert.Contains("--output", err, StringComparison.Ordinal);

        (code, _, _) = Run("report");
        Assert.Equal(2, code);
    }

    private static (int Code, string Out, string Err) Chromium(string profile, params string[] args)
    {
        var start = new ProcessStartInfo(ChromiumFactAttribute.Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", .. args])
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("Chromium did not finish within 120 s.");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [ChromiumFact]
    public void EndToEnd_ReportOpensInHeadlessChromium()
    {
        string dir = Train("browser");
        string target = Path.Combine(_root, "browser.html");
        string pngDir = Path.Combine(_root, "png");
        var (code, output, err) = Run("report", dir, "--data-dir", Subset, "--output", target, "--png", pngDir);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("PNG files in", output, StringComparison.Ordinal);
        var pngs = Directory.GetFiles(pngDir, "*.png");
        Assert.True(pngs.Length >= 7, $"{pngs.Length} PNGs");
        foreach (string png in pngs)
        {
            Assert.True(TestPng.DistinctColours(TestPng.Decode(File.ReadAllBytes(png))) > 2, png);
        }

        string url = new Uri(target).AbsoluteUri;
        string shot = Path.Combine(_root, "shot.png");
        var (shotCode, _, shotLog) = Chromium(Path.Combine(_root, "profile1"), "--hide-scrollbars", "--window-size=1400,3000", "--screenshot=" + shot, url);
        Assert.True(shotCode == 0, shotLog);
        Assert.DoesNotContain("Uncaught", shotLog, StringComparison.Ordinal);
        var image = TestPng.Decode(File.ReadAllBytes(shot));
        Assert.Equal(1400, image.Width);
        // A blank page is one colour; charts, tables and thumbnails give many.
        Assert.True(TestPng.DistinctColours(image) > 50, $"{TestPng.DistinctColours(image)} colours");

        var (domCode, dom, domLog) = Chromium(Path.Combine(_root, "profile2"), "--dump-dom", url);
        Assert.True(domCode == 0, domLog);
        Assert.DoesNotContain("Uncaught", domLog, StringComparison.Ordinal);
        Assert.Contains("Nearest neighbours", dom, StringComparison.Ordinal);
        Assert.True(Regex.Count(dom, "<svg") >= 7);
    }
}

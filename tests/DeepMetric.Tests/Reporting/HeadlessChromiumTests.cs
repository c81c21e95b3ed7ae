using DeepMetric.Reporting;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Reporting;

public sealed class HeadlessChromiumTests
{
    [Fact]
    public void Arguments_IsolateTheBrowser()
    {
        IReadOnlyList<string> args = HeadlessChromium.BuildArguments("/tmp/r/report.html", "/tmp/r/out.png", 800, 600, "/tmp/profile");
        Assert.Contains("--headless", args);
        Assert.Contains("--no-sandbox", args);
        Assert.Contains("--disable-gpu", args);
        Assert.Contains("--disable-background-networking", args);
        Assert.Contains("--no-first-run", args);
        Assert.Contains("--user-data-dir=/tmp/profile", args);
        Assert.Contains("--screenshot=/tmp/r/out.png", args);
        Assert.Contains("--window-size=800,600", args);
        Assert.Equal("file:///tmp/r/report.html", args[^1]);
    }

    [Fact]
    public void MissingBrowser_ReturnsFalse()
    {
        string html = Path.Combine(Path.GetTempPath(), $"dm-chromium-{Environment.ProcessId}.html");
        File.WriteAllText(html, "<html><body>hi</body></html>");
        try
        {
            Assert.False(HeadlessChromium.TryScreenshot(html, html + ".png", 100, 100, executable: "/nonexistent/chromium"));
            if (HeadlessChromium.FindExecutable() is null)
            {
                Assert.False(HeadlessChromium.TryScreenshot(html, html + ".png", 100, 100));
            }
        }
        finally
        {
            File.Delete(html);
        }
        Assert.Throws<FileNotFoundException>(() => HeadlessChromium.TryScreenshot("/nonexistent/x.html", "/tmp/x.png", 10, 10));
    }

    [ExecutableFact("/bin/sh")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]   // the attribute skips it there
    public void FakeBrowser_WritesScreenshot_AndGetsAFreshProfile()
    {
        string dir = Directory.CreateTempSubdirectory("dm-fake-chromium-").FullName;
        try
        {
            // Stand-in for Chromium: writes the --screenshot target and records the profile dir it was given.
            string fake = Path.Combine(dir, "chromium");
            File.WriteAllText(fake, """
                #!/bin/sh
                for a in "$@"; do
                  case "$a" in
                    --screenshot=*) out="${a#--screenshot=}" ;;
                    --user-data-dir=*) prof="${a#--user-data-dir=}" ;;
                  esac
                done
                [ -d "$prof" ] || exit 3
                printf 'png' > "$out"
                echo "$prof" > "$out.profile"
                """);
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string html = Path.Combine(dir, "page.html");
            File.WriteAllText(html, "<html></html>");
            string png = Path.Combine(dir, "shot.png");
            Assert.True(HeadlessChromium.TryScreenshot(html, png, 320, 200, fake));
            Assert.True(File.Exists(png));
            string profile = File.ReadAllText(png + ".profile").Trim();
            Assert.False(Directory.Exists(profile), "the temporary profile should be removed");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [ChromiumFact]
    public void RealBrowser_RendersAChartToANonUniformPng()
    {
        string dir = Directory.CreateTempSubdirectory("dm-chromium-chart-").FullName;
        try
        {
            string svg = new BarChart(["R@1", "R@2"]) { Title = "Recall@K" }.Add("run", [0.5, 0.8]).ToSvg();
            string html = Path.Combine(dir, "chart.html");
            File.WriteAllText(html, $"<!DOCTYPE html><html><body style=\"margin:0;background:#fff\">{svg}</body></html>");
            string png = Path.Combine(dir, "chart.png");
            Assert.True(HeadlessChromium.TryScreenshot(html, png, 640, 360, timeout: TimeSpan.FromSeconds(90)));
            var image = TestPng.Decode(File.ReadAllBytes(png));
            (int width, int height, int channels, byte[] pixels) = (image.Width, image.Height, image.Channels, image.Pixels);
            Assert.Equal(640, width);
            Assert.Equal(360, height);
            // Count distinct colours (ignoring alpha): white background, blue bars, dark text and axes at least.
            var colours = new HashSet<int>();
            for (int i = 0; i < pixels.Length; i += channels)
            {
                colours.Add(channels >= 3 ? (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2] : pixels[i]);
            }
            Assert.True(colours.Count >= 3, $"{colours.Count} distinct colours");
            // The first bar series is drawn in the palette's first colour.
            (byte r, byte g, byte b) = Rgb(ChartPalette.Color(0));
            Assert.Contains((r << 16) | (g << 8) | b, colours);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static (byte R, byte G, byte B) Rgb(string hex) =>
        (Convert.ToByte(hex[1..3], 16), Convert.ToByte(hex[3..5], 16), Convert.ToByte(hex[5..7], 16));
}

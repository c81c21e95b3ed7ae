using System.Xml.Linq;
using DeepMetric.Reporting;

namespace DeepMetric.Tests.Reporting;

public sealed class ChartTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    private static XDocument Parse(string svg)
    {
        XDocument doc = XDocument.Parse(svg);
        Assert.Equal(s_svg + "svg", doc.Root!.Name);
        return doc;
    }

    private static List<XElement> WithClass(XDocument doc, string cssClass) =>
        [.. doc.Descendants().Where(e => (string?)e.Attribute("class") == cssClass)];

    private static List<string> Texts(XDocument doc) => [.. doc.Descendants(s_svg + "text").Select(e => e.Value)];

    [Fact]
    public void LineChart_OnePathPerSeries_LegendAndTitles()
    {
        var chart = new LineChart { Title = "Loss", XLabel = "iteration", YLabel = "loss" }
            .Add("train", [1.0, 0.8, 0.5, 0.4])
            .Add("val", [0, 2, 4], [1.2, 0.9, 0.7]);
        XDocument doc = Parse(chart.ToSvg());
        List<XElement> paths = WithClass(doc, "series");
        Assert.Equal(2, paths.Count);
        Assert.Equal(["train", "val"], paths.Select(p => (string)p.Attribute("data-series")!));
        // 4 and 3 vertices: one move plus lines.
        Assert.Equal(3, ((string)paths[0].Attribute("d")!).Count(c => c == 'L'));
        Assert.Equal(2, ((string)paths[1].Attribute("d")!).Count(c => c == 'L'));
        List<string> texts = Texts(doc);
        Assert.Contains("Loss", texts);
        Assert.Contains("iteration", texts);
        Assert.Contains("train", texts);
        Assert.Equal(2, WithClass(doc, "legend-mark").Count);
    }

    [Fact]
    public void LineChart_NaNBreaksLine_LogSkipsNonPositive()
    {
        var chart = new LineChart { LogY = true }.Add("s", [1.0, double.NaN, 10, 0, 100, 1000]);
        XDocument doc = Parse(chart.ToSvg());
        string d = (string)WithClass(doc, "series")[0].Attribute("d")!;
        // Pieces: [1], [10], [100, 1000] → three moves, one line.
        Assert.Equal(3, d.Count(c => c == 'M'));
        Assert.Equal(1, d.Count(c => c == 'L'));
        Assert.Contains("1000", Texts(doc));
    }

    [Fact]
    public void LineChart_Smoothing_DrawsRawAndSmoothed()
    {
        XDocument doc = Parse(new LineChart { Smoothing = 0.9 }.Add("loss", [3.0, 1, 2, 0.5]).ToSvg());
        Assert.Single(WithClass(doc, "series"));
        Assert.Single(WithClass(doc, "series-raw"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LineChart { Smoothing = 1 });
    }

    [Fact]
    public void ExponentialMovingAverage_HandWorked()
    {
        double[] s = LineChart.ExponentialMovingAverage([4.0, 2, double.NaN, 0], 0.5);
        Assert.Equal(4, s[0]);
        Assert.Equal(3, s[1]);
        Assert.True(double.IsNaN(s[2]));
        Assert.Equal(1.5, s[3]);
        Assert.Empty(LineChart.ExponentialMovingAverage([], 0.5));
    }

    [Fact]
    public void BarChart_BarsPerCategoryAndRun()
    {
        string[] ks = ["1", "2", "4", "8", "16", "32"];
        var chart = new BarChart(ks) { Title = "Recall@K", YMax = 1 }
            .Add("run A", [0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
            .Add("run B", [0.4, 0.5, double.NaN, 0.7, 0.8, 0.9]);
        XDocument doc = Parse(chart.ToSvg());
        Assert.Equal(11, WithClass(doc, "bar").Count);
        Assert.Equal(2, WithClass(doc, "legend-mark").Count);
        foreach (string k in ks)
        {
            Assert.Contains(k, Texts(doc));
        }
        // The tallest bar (0.95 of a 0..1 axis) must stay inside the plot.
        Assert.All(WithClass(doc, "bar"), b => Assert.True(double.Parse((string)b.Attribute("y")!, System.Globalization.CultureInfo.InvariantCulture) >= 34 - 1e-9));
        Assert.Throws<ArgumentException>(() => chart.Add("bad", [1.0]));
        Assert.Throws<ArgumentException>(() => new BarChart([]));
    }

    [Fact]
    public void ScatterPlot_PointsColouredByClass()
    {
        float[] xy = [0, 0, 1, 1, 2, 0, 3, 3, float.NaN, 1];
        int[] labels = [0, 1, 1, 2, 0];
        XDocument doc = Parse(new ScatterPlot(xy, labels, ["cat", "dog", "bird"]) { Title = "map" }.ToSvg());
        List<XElement> points = WithClass(doc, "point");
        Assert.Equal(4, points.Count);
        Assert.Equal(ChartPalette.Color(1), (string)points[1].Attribute("fill")!);
        Assert.Equal(ChartPalette.Color(1), (string)points[2].Attribute("fill")!);
        Assert.NotEqual(ChartPalette.Color(0), ChartPalette.Color(1));
        Assert.Equal(["cat", "dog", "bird"], WithClass(doc, "legend-label").Select(e => e.Value));
        Assert.Throws<ArgumentException>(() => new ScatterPlot([0.0], [0.0], [3], ["a"]));
        Assert.Throws<ArgumentException>(() => new ScatterPlot([0.0], [0.0], [-1]));
        Assert.Throws<ArgumentException>(() => new ScatterPlot([0f, 1f, 2f], [0, 0]));
    }

    [Fact]
    public void Palette_HasTwentyDistinctColours()
    {
        Assert.True(ChartPalette.Count >= 10);
        var set = new HashSet<string>();
        for (int i = 0; i < ChartPalette.Count; i++)
        {
            Assert.Matches("^#[0-9a-f]{6}$", ChartPalette.Color(i));
            set.Add(ChartPalette.Color(i));
        }
        Assert.Equal(ChartPalette.Count, set.Count);
        Assert.Equal(ChartPalette.Color(0), ChartPalette.Color(ChartPalette.Count));
    }

    [Fact]
    public void Legend_TooManyClasses_Summarised()
    {
        int n = 60;
        var x = new double[n];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i;
            labels[i] = i;
        }
        XDocument doc = Parse(new ScatterPlot(x, x, labels).ToSvg());
        Assert.Equal(n, WithClass(doc, "point").Count);
        Assert.Contains(WithClass(doc, "legend-label"), e => e.Value.EndsWith("more", StringComparison.Ordinal));
    }

    [Fact]
    public void Histogram_BinCountsHandWorked()
    {
        HistogramBins h = Histogram.Bin([0.0, 0.1, 0.25, 0.5, 0.99, 1.0, 1.5, double.NaN, -0.1], 0, 1, 4);
        Assert.Equal([2, 1, 1, 2], h.Counts);
        Assert.Equal(6, h.Total);
        Assert.Equal(0.25, h.BinWidth);
        Assert.Throws<ArgumentException>(() => Histogram.Bin([1.0], 1, 1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Histogram.Bin([1.0], 0, 1, 0));
    }

    [Fact]
    public void Histogram_TwoSetsOverlaid_WithThreshold()
    {
        var hist = new Histogram { Bins = 10, Threshold = 0.7, XLabel = "distance" }
            .Add("positive", [0.1, 0.2, 0.3, 0.5])
            .Add("negative", [0.8, 0.9, 1.1, 1.3, 1.4, 1.2]);
        XDocument doc = Parse(hist.ToSvg());
        Assert.Equal(20, WithClass(doc, "bin").Count);
        Assert.Single(WithClass(doc, "threshold"));
        Assert.Contains("threshold = 0.7", Texts(doc));
        Assert.Contains("fraction", Texts(doc));
        // A constant set still renders.
        Parse(new Histogram().Add("c", [2.0, 2.0]).ToSvg());
    }

    [Fact]
    public void PrecisionRecall_HandWorked_TiesTogether()
    {
        // Sorted: 0.1 P, 0.2 N, 0.2 P, 0.5 P, 0.9 N. Three positives.
        PrecisionRecallPoint[] pr = PrecisionRecallCurve.Compute([0.5, 0.2, 0.1, 0.9, 0.2, double.NaN], [true, false, true, false, true, true]);
        Assert.Equal(4, pr.Length);
        Assert.Equal(new PrecisionRecallPoint(0.1, 1, 1 / 3.0), pr[0]);
        Assert.Equal(new PrecisionRecallPoint(0.2, 2 / 3.0, 2 / 3.0), pr[1]);
        Assert.Equal(new PrecisionRecallPoint(0.5, 3 / 4.0, 1), pr[2]);
        Assert.Equal(new PrecisionRecallPoint(0.9, 3 / 5.0, 1), pr[3]);
        Assert.Empty(PrecisionRecallCurve.Compute([], []));
        Assert.Throws<ArgumentException>(() => PrecisionRecallCurve.Compute([1.0], []));

        XDocument doc = Parse(new PrecisionRecallCurve { ChosenThreshold = 0.45 }.Add("val", pr).ToSvg());
        Assert.Single(WithClass(doc, "series"));
        XElement marker = Assert.Single(WithClass(doc, "threshold"));
        Assert.Contains("recall 1", marker.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_AreEscaped()
    {
        const string nasty = "a<b & c>d \"q\" 'x'";
        string[] svgs =
        [
            new LineChart { Title = nasty, XLabel = nasty, YLabel = nasty }.Add(nasty, [1.0, 2]).ToSvg(),
            new BarChart([nasty]) { Title = nasty }.Add(nasty, [1.0]).Add("b", [2.0]).ToSvg(),
            new ScatterPlot([1.0], [1.0], [0], [nasty]) { Title = nasty }.ToSvg(),
            new Histogram { Title = nasty, ThresholdLabel = nasty, Threshold = 1 }.Add(nasty, [1.0, 2]).ToSvg(),
            new PrecisionRecallCurve { Title = nasty }.Add(nasty, PrecisionRecallCurve.Compute([1.0], [true])).ToSvg(),
        ];
        foreach (string svg in svgs)
        {
            XDocument doc = Parse(svg);
            Assert.Contains(doc.Descendants(s_svg + "text"), t => t.Value == nasty);
        }
    }

    [Fact]
    public void Output_IsDeterministic()
    {
        // The project runs with invariant globalization, so only repeatability is checked here.
        static string Render() => new LineChart { Smoothing = 0.5 }.Add("s", [0.125, 1.5, 2.75]).ToSvg()
            + new Histogram { Threshold = 0.5 }.Add("h", [0.25, 1.5]).ToSvg();
        string a = Render();
        Assert.Equal(a, Render());
        Assert.DoesNotContain("-0\"", a, StringComparison.Ordinal);
        Assert.DoesNotContain(",5\"", a, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyCharts_StillWellFormed()
    {
        Parse(new LineChart().ToSvg());
        Parse(new Histogram().ToSvg());
        Parse(new PrecisionRecallCurve().ToSvg());
        Parse(new BarChart(["1"]).ToSvg());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LineChart { Width = 10 }.ToSvg());
    }

    private static double Attr(XElement e, string name) => double.Parse((string)e.Attribute(name)!, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Histogram_XDomainRoundedSoBothEndsAreLabelled()
    {
        // Data from 0.03 to 1.77 used to start the axis at 0.03 with its first label at 0.2; now 0 … 1.8 in steps of 0.2.
        var hist = new Histogram { Bins = 10 }.Add("d", [0.03, 0.5, 1.0, 1.77]);
        XDocument doc = Parse(hist.ToSvg());
        List<XElement> ticks = [.. WithClass(doc, "tick-label").Where(e => (string?)e.Attribute("text-anchor") == "middle")];
        Assert.Equal("0", ticks[0].Value);
        Assert.Equal("1.8", ticks[^1].Value);
        List<XElement> bins = WithClass(doc, "bin");
        Assert.Equal(64, Attr(bins[0], "x"), 6);
        Assert.Equal(640 - 18 - 150, Attr(bins[^1], "x") + Attr(bins[^1], "width"), 6);
    }

    [Fact]
    public void PrecisionRecall_ThresholdLabelStaysInsidePlot_AxisTitlesCapitalised()
    {
        PrecisionRecallPoint[] pr = PrecisionRecallCurve.Compute([0.1, 0.2, 0.3, 0.9], [true, true, true, false]);
        var chart = new PrecisionRecallCurve { ChosenThreshold = 0.3 }.Add("a", pr).Add("b", pr);
        XDocument doc = Parse(chart.ToSvg());
        // Recall 1 puts the marker on the right edge; its label must end left of it, not run into the legend.
        XElement marker = Assert.Single(WithClass(doc, "threshold"));
        XElement label = Assert.Single(WithClass(doc, "threshold-label"));
        Assert.Equal("end", (string?)label.Attribute("text-anchor"));
        Assert.True(Attr(label, "x") < Attr(marker, "cx"));
        double legendLeft = WithClass(doc, "legend-mark").Min(e => Attr(e, "x1"));
        Assert.True(Attr(label, "x") < legendLeft);
        // It can sit over the other curve: a white halo keeps it legible.
        Assert.Equal("stroke", (string?)label.Attribute("paint-order"));
        Assert.Contains("Recall", Texts(doc));
        Assert.Contains("Precision", Texts(doc));

        // Low recall: label to the right of the marker.
        var low = new PrecisionRecallCurve { ChosenThreshold = 0.1 }.Add("a", pr);
        XElement lowLabel = Assert.Single(WithClass(Parse(low.ToSvg()), "threshold-label"));
        Assert.Equal("start", (string?)lowLabel.Attribute("text-anchor"));
    }

    [Fact]
    public void Histogram_ThresholdNearRightEdge_LabelTurnsLeft()
    {
        XDocument doc = Parse(new Histogram { Threshold = 0.95 }.Add("d", [0.0, 0.5, 1.0]).ToSvg());
        XElement line = Assert.Single(WithClass(doc, "threshold"));
        XElement label = Assert.Single(WithClass(doc, "threshold-label"));
        Assert.Equal("end", (string?)label.Attribute("text-anchor"));
        Assert.True(Attr(label, "x") < Attr(line, "x1"));
        XElement left = Assert.Single(WithClass(Parse(new Histogram { Threshold = 0.2 }.Add("d", [0.0, 0.5, 1.0]).ToSvg()), "threshold-label"));
        Assert.Equal("start", (string?)left.Attribute("text-anchor"));
    }
}

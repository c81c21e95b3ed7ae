using System.Text;
using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

/// <summary>
/// What the switch from String.Split to Sep could change: quoting, line endings, a byte-order mark, blank and
/// whitespace-only lines, line numbers after them, the delimiter. Expected values are worked out by hand from the text.
/// </summary>
public sealed class CsvFeatureReaderTests
{
    private static FeatureDataset ReadText(string text, CsvFeatureOptions? options = null) =>
        CsvFeatureReader.Read(new StringReader(text), "t.csv", options);

    [Fact]
    public void QuotedIdHoldsTheDelimiterAndQuotedLabelUnescapesDoubledQuotes()
    {
        var ds = ReadText("id,label,x\n\"a,b.png\",\"say \"\"hi\"\"\",1.5\n \"c.png\" ,dog,2\n",
            new CsvFeatureOptions { LabelColumn = "label", IdColumn = "id" });
        Assert.Equal(["a,b.png", "c.png"], ds.Ids!);
        Assert.Equal(["dog", "say \"hi\""], ds.ClassNames);   // ordinal: 'd' < 's'
        Assert.Equal([1, 0], ds.Labels.ToArray());
        Assert.Equal([1.5f, 2f], ds.Features.ToArray());
    }

    [Fact]
    public void QuotedFieldSpanningLinesKeepsLaterLineNumbers()
    {
        // The row starting on line 2 ends on line 3; the bad value is on line 4.
        var e = Assert.Throws<InvalidDataException>(() => ReadText("label,x,id\n1,0.5,\"two\nlines\"\n2,oops,z\n",
            new CsvFeatureOptions { IdColumn = "id" }));
        Assert.Contains("t.csv' line 4, column 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("'oops'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuotedFeatureValueIsRefused()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText("1,\"2.5\"\n", new CsvFeatureOptions { HasHeader = false }));
        Assert.Contains("line 1, column 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("finite", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnterminatedQuoteIsReportedOnItsLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText("label,x\n1,\"2\n3,4\n"));
        Assert.Contains("line 2, column 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByteOrderMarkCrLfBlankLinesAndNoFinalNewline()
    {
        using var dir = new TempDir();
        string path = dir.File("bom.csv");
        var text = "label,x0,x1\r\n1,0.5,-1\r\n\r\n  \r\n2,1e-3,4";
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)]);
        // The header is found by name: the mark must not be part of "label".
        var ds = CsvFeatureReader.Read(path, new CsvFeatureOptions { LabelColumn = "label" });
        Assert.Equal(2, ds.Count);
        Assert.Equal([0.5f, -1f, 0.001f, 4f], ds.Features.ToArray());
        Assert.Equal([1, 2], ds.Labels.ToArray());
    }

    [Theory]
    [InlineData("1,2\r\n\r\n1,x\r\n", "line 3, column 2")]
    [InlineData("1,2\r\r1,x\r", "line 3, column 2")]      // lone CR ends a line, as TextReader.ReadLine had it
    [InlineData("1,2\n \n\n1,2,3\n", "line 4: 3 columns, expected 2 as on line 1")]
    public void LineNumbersCountEveryLineEnding(string text, string where)
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadText(text, new CsvFeatureOptions { HasHeader = false }));
        Assert.Contains(where, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrailingNewlinesAndLoneCrEndingsGiveNoExtraRow()
    {
        Assert.Equal(2, ReadText("1,2\n3,4\n\n\n").Count);
        var ds = ReadText("1,2\r3,4\r");
        Assert.Equal([2f, 4f], ds.Features.ToArray());
        Assert.Equal([1, 3], ds.Labels.ToArray());
    }

    [Fact]
    public void TabDelimiterSkipsWhitespaceOnlyLines()
    {
        var ds = ReadText("0\t1\t2\n\t\t\n1\t3\t4\n", new CsvFeatureOptions { Delimiter = '\t' });
        Assert.Equal([1f, 2f, 3f, 4f], ds.Features.ToArray());
        Assert.Equal([0, 1], ds.Labels.ToArray());
    }

    [Theory]
    [InlineData('#')]
    [InlineData('"')]
    [InlineData('é')]
    public void UnsupportedDelimiterIsAnArgumentError(char delimiter)
    {
        var e = Assert.Throws<ArgumentException>(() => ReadText("1#2\n", new CsvFeatureOptions { Delimiter = delimiter }));
        Assert.Contains("delimiter", e.Message, StringComparison.Ordinal);
        Assert.Equal("Delimiter", e.ParamName);
    }

    [Fact]
    public void TheCallersReaderIsLeftOpen()
    {
        using var reader = new StringReader("1,2\n");
        CsvFeatureReader.Read(reader, "t.csv");
        Assert.Equal(-1, reader.Peek());   // would throw ObjectDisposedException if closed
    }
}

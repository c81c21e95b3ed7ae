using System.Text;
using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

public sealed class PnmDecoderTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void P2AsciiWithComments()
    {
        var image = PnmDecoder.Decode(Ascii("P2\n# a comment\n3 2 # inline\n10\n0 5 10\n# between\n 2 3   4\n"), "a.pgm");
        Assert.Equal((3, 2, 1), (image.Width, image.Height, image.Channels));
        Assert.Equal([0f, 0.5f, 1f, 0.2f, 0.3f, 0.4f], image.Pixels);
    }

    [Fact]
    public void P3Ascii()
    {
        var image = PnmDecoder.Decode(Ascii("P3 2 1 255 255 0 0  0 0 51\n"), "c.ppm");
        Assert.Equal(3, image.Channels);
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 51 / 255f], image.Pixels);
    }

    [Fact]
    public void P5EightAndSixteenBit()
    {
        var eight = PnmDecoder.Decode([.. Ascii("P5\n2 2\n255\n"), 0, 128, 255, 7], "b.pgm");
        Assert.Equal([0f, 128 / 255f, 1f, 7 / 255f], eight.Pixels);
        // maxval 1000 → two bytes, big-endian: 0x03E8 = 1000, 0x01F4 = 500.
        var sixteen = PnmDecoder.Decode([.. Ascii("P5 2 1 1000\n"), 0x03, 0xE8, 0x01, 0xF4], "w.pgm");
        Assert.Equal([1f, 0.5f], sixteen.Pixels);
        var full = PnmDecoder.Decode([.. Ascii("P5 1 1 65535 "), 0xFF, 0xFF], "f.pgm");
        Assert.Equal([1f], full.Pixels);
    }

    [Fact]
    public void P6Binary()
    {
        var image = PnmDecoder.Decode([.. Ascii("P6\n1 2\n255\n"), 255, 0, 0, 0, 255, 51], "c.ppm");
        Assert.Equal((1, 2, 3), (image.Width, image.Height, image.Channels));
        Assert.Equal([1f, 0f, 0f, 0f, 1f, 51 / 255f], image.Pixels);
    }

    [Theory]
    [InlineData("P5 2 2 255\n\u0001\u0002\u0003", "truncated raster")]
    [InlineData("P2 2 1 10 3", "truncated")]
    [InlineData("P2 2 1 10 3 11", "exceeds maxval")]
    [InlineData("P2 2 1 70000 1 1", "maxval")]
    [InlineData("P2 0 1 10", "size")]
    [InlineData("P2 2 x 10", "height")]
    [InlineData("P7 1 1 1", "magic")]
    [InlineData("P5 1 1 255", "whitespace")]
    public void BadFilesNameTheFile(string text, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => PnmDecoder.Decode(Encoding.Latin1.GetBytes(text), "dir/x.pgm"));
        Assert.Contains("dir/x.pgm", ex.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}

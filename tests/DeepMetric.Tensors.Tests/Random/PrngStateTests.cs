using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.Random;

public sealed class PrngStateTests
{
    [Fact]
    public void BothEncodings_RoundTrip_AndTheGeneratorContinuesIdentically()
    {
        var rng = new Prng(99);
        rng.NextNormal();   // leaves a spare normal cached
        var state = rng.GetState();
        Assert.True(state.HasSpareNormal);

        var bytes = new byte[PrngState.ByteLength];
        state.WriteTo(bytes);
        Assert.Equal(state, PrngState.ReadFrom(bytes));
        // Layout by hand: S0 little-endian first, the flag at byte 32, the spare's bits at 36.
        Assert.Equal(state.S0, BitConverter.ToUInt64(bytes, 0));
        Assert.Equal(1, BitConverter.ToInt32(bytes, 32));
        Assert.Equal(state.SpareNormal, BitConverter.Int64BitsToDouble(BitConverter.ToInt64(bytes, 36)));

        string text = state.ToText();
        Assert.Equal(6, text.Split(':').Length);
        Assert.Equal($"{state.S0:x16}", text.Split(':')[0]);
        Assert.Equal(state, PrngState.ParseText(text));

        var fromBytes = Prng.FromState(PrngState.ReadFrom(bytes));
        var fromText = Prng.FromState(PrngState.ParseText(text));
        for (int i = 0; i < 5; i++)
        {
            double expected = rng.NextNormal();
            Assert.Equal(expected, fromBytes.NextNormal());
            Assert.Equal(expected, fromText.NextNormal());
        }
    }

    [Fact]
    public void BadEncodings_AreRejected()
    {
        Assert.Throws<InvalidDataException>(() => PrngState.ReadFrom(new byte[PrngState.ByteLength - 1]));
        Assert.Contains("all zeros", Assert.Throws<InvalidDataException>(() => PrngState.ReadFrom(new byte[PrngState.ByteLength])).Message, StringComparison.Ordinal);
        var flag = new byte[PrngState.ByteLength];
        flag[0] = 1;
        flag[32] = 2;
        Assert.Contains("flag 2", Assert.Throws<InvalidDataException>(() => PrngState.ReadFrom(flag)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => PrngState.ParseText("1:2:3"));
        Assert.Throws<InvalidDataException>(() => PrngState.ParseText("1:2:3:4:0:xyz"));
        Assert.Throws<InvalidDataException>(() => PrngState.ParseText("0:0:0:0:0:0"));
        Assert.Throws<ArgumentException>("destination", () => new PrngState(1, 2, 3, 4, false, 0).WriteTo(new byte[3]));
    }
}

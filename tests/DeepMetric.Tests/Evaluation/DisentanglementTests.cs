using DeepMetric.Evaluation;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Evaluation;

public sealed class DisentanglementTests
{
    // Every (A, B) pair of two 4-valued factors, `copies` times: the factors are exactly independent.
    private static int[] Grid(int values, int copies)
    {
        var f = new List<int>();
        for (int c = 0; c < copies; c++)
        {
            for (int a = 0; a < values; a++)
            {
                for (int b = 0; b < values; b++)
                {
                    f.AddRange([a, b]);
                }
            }
        }
        return [.. f];
    }

    private static float[] Code(int[] factors, Func<int, int, float[]> map)
    {
        var e = new List<float>();
        for (int r = 0; r < factors.Length / 2; r++)
        {
            e.AddRange(map(factors[2 * r], factors[(2 * r) + 1]));
        }
        return [.. e];
    }

    [Fact]
    public void OneFactorPerDimensionIsFullyModular()
    {
        var factors = Grid(4, 3);
        var code = Code(factors, (a, b) => [a, b, 7f]);   // plus a constant dimension, which carries nothing
        var mi = Disentanglement.MutualInformation(code, 3, factors, 2);
        // Dimension 0 is A exactly: I = H(A) = ln 4; it says nothing about the independent B.
        Assert.Equal(Math.Log(4), mi[0], 10);
        Assert.Equal(0, mi[1], 10);
        Assert.Equal(0, mi[2], 10);
        Assert.Equal(Math.Log(4), mi[3], 10);
        Assert.Equal([0.0, 0.0], mi[4..]);
        Assert.Equal(1.0, Disentanglement.Modularity(code, 3, factors, 2), 10);
    }

    [Fact]
    public void MixedDimensionsScoreLower()
    {
        var factors = Grid(4, 3);
        // A + B and A − B carry equal information about both factors: θ = m, δ = m² / m² = 1, so each scores 0.
        Assert.Equal(0.0, Disentanglement.Modularity(Code(factors, (a, b) => [a + b, a - b]), 2, factors, 2), 10);
        // Half pure, half mixed: (1 + 0) / 2.
        Assert.Equal(0.5, Disentanglement.Modularity(Code(factors, (a, b) => [a, a + b]), 2, factors, 2), 10);
        // Only constant dimensions: nothing to score.
        Assert.Equal(0.0, Disentanglement.Modularity(Code(factors, (a, b) => [1f]), 1, factors, 2));
    }

    [Fact]
    public void AucCountsTiesAsHalf()
    {
        // Positives 0.4 and 0.8, negatives 0.1, 0.35, 0.4: pairs won 1 + 1 + ½ + 3 = 5.5 of 6.
        Assert.Equal(5.5 / 6, RocAuc.Compute([0.1, 0.4, 0.35, 0.8, 0.4], [false, true, false, true, false]), 12);
        Assert.Equal(0.5, RocAuc.Compute([1, 1, 1, 1], [true, false, true, false]), 12);
        Assert.Equal(1.0, RocAuc.Compute([0, 1], [false, true]));
        Assert.Equal(0.0, RocAuc.Compute([1, 0], [false, true]));
        Assert.Throws<ArgumentException>("positive", () => RocAuc.Compute([1, 2], [true, true]));
        Assert.Throws<ArgumentException>("positive", () => RocAuc.Compute([1, 2], [true]));
        Assert.Throws<ArgumentException>("scores", () => RocAuc.Compute([1, double.NaN], [true, false]));
    }

    [Fact]
    public void ExplicitnessOfLinearAndUninformativeCodes()
    {
        // Binary factors read off one dimension each: every value is linearly separable.
        var binary = Grid(2, 5);
        Assert.Equal(1.0, Disentanglement.Explicitness(Code(binary, (a, b) => [a, b]), 2, binary, 2), 10);

        // One 3-valued factor coded as a line: the end values are separable (AUC 1), the middle value is not — any
        // linear score ranks it between the others, AUC ½. Mean (1 + ½ + 1) / 3.
        int[] three = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
        var line = three.Select(v => (float)v).ToArray();
        Assert.Equal(5.0 / 6, Disentanglement.Explicitness(line, 1, three, 1), 10);

        // Noise unrelated to the factors: about chance.
        var rng = new Prng(1);
        var factors = Grid(2, 50);
        var noise = new float[factors.Length];
        for (int i = 0; i < noise.Length; i++)
        {
            noise[i] = (float)rng.NextNormal();
        }
        Assert.InRange(Disentanglement.Explicitness(noise, 2, factors, 2), 0.4, 0.65);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var factors = Grid(2, 1);
        var code = Code(factors, (a, b) => [a, b]);
        Assert.Throws<ArgumentOutOfRangeException>("factorCount", () => Disentanglement.Modularity(code, 2, factors[..4], 1));
        Assert.Throws<ArgumentException>("factors", () => Disentanglement.Modularity(code, 2, factors[..6], 2));
        Assert.Throws<ArgumentException>("embeddings", () => Disentanglement.Modularity(code[..7], 2, factors, 2));
        Assert.Throws<ArgumentOutOfRangeException>("bins", () => Disentanglement.Modularity(code, 2, factors, 2, bins: 1));
        Assert.Throws<ArgumentOutOfRangeException>("factors", () => Disentanglement.Modularity(code, 2, [0, -1, 0, 0, 1, 0, 1, 1], 2));
        Assert.Throws<ArgumentException>("embeddings", () => Disentanglement.Explicitness([0, float.NaN, 0, 0, 1, 0, 1, 1], 2, factors, 2));
        Assert.Throws<ArgumentException>("factors", () => Disentanglement.Explicitness(code, 2, [0, 0, 0, 0, 0, 0, 0, 0], 2));
    }
}

using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Tests.TestUtil;

/// <summary>Edge-case checks shared by the loss tests.</summary>
internal static class LossAssert
{
    /// <summary>Rows (1,0), (1,0), (0,1), (0,1): two pairs of identical embeddings.</summary>
    public static Tensor TwoDuplicatedPairs() => Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f, 0f, 1f], 4, 2);

    /// <summary>Four copies of (1,0): every distance 0, every cosine 1.</summary>
    public static Tensor FourEqualRows() => Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f, 1f, 0f], 4, 2);

    /// <summary>
    /// A batch with nothing to learn (one sample, no positive or no negative pair) gives loss exactly 0 and an
    /// all-zero gradient. Returns the random embeddings (seeded, <paramref name="dim"/> wide) for further checks.
    /// </summary>
    public static Tensor NothingToLearn(MetricLoss loss, int[] labels, ulong seed, int dim = 3)
    {
        var e = Fixtures.RandomEmbeddings(seed, labels.Length, dim);
        var value = loss.Compute(e, labels);
        Assert.Equal(0f, value.Item());
        value.Backward();
        Fixtures.AssertAllZero(e.Grad);
        return e;
    }

    /// <summary>
    /// Computes the loss on embeddings with repeated rows (zero distances, where sqrt and norms are not
    /// differentiable), back-propagates and checks every gradient is finite. Returns the loss value.
    /// </summary>
    public static float FiniteGradientOnDuplicates(MetricLoss loss, Tensor embeddings, int[] labels)
    {
        embeddings.RequiresGrad = true;
        var value = loss.Compute(embeddings, labels);
        value.Backward();
        Fixtures.AssertFinite(embeddings.Grad);
        return value.Item();
    }
}

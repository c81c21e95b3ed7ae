using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Wrappers;

/// <summary>Double-precision contrastive loss (m⁺ = 0, m⁻ = 1, normalised Euclidean, mean of each term) over explicit pairs.</summary>
internal static class ContrastiveRef
{
    public static double Loss(Tensor q, Tensor r, IEnumerable<(int I, int J)> pos, IEnumerable<(int I, int J)> neg)
    {
        var d = MinerCheck.Euclid(q, r);
        var p = pos.Select(x => d[x.I, x.J]).ToArray();
        var n = neg.Select(x => Reference.Relu(1 - d[x.I, x.J])).ToArray();
        return (p.Length == 0 ? 0 : p.Average()) + (n.Length == 0 ? 0 : n.Average());
    }

    public static ContrastiveLoss Make() => new(reducer: new MeanReducer());
}

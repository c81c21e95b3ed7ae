using System.Runtime.CompilerServices;
using DeepMetric.Distances;
using DeepMetric.Tensors;

namespace DeepMetric.Internal;

/// <summary>
/// Hands the differentiable distance matrix a miner computed to the loss that consumes its tuples, so a training step
/// computes (and back-propagates through) the N × M matrix once instead of twice. The loss takes it only for the same
/// embeddings tensor, the same reference tensor and a distance with the same values, and only once, so results are
/// bit-identical to computing it again.
/// </summary>
internal static class MinedMatrix
{
    // Keyed by the tuples object (reference identity); an entry dies with its tuples.
    private static readonly ConditionalWeakTable<MinedTuples, Entry> s_entries = new();

    /// <summary>Records <paramref name="matrix"/> (Pairwise of the embeddings with gradient) for the loss fed <paramref name="tuples"/>.</summary>
    public static void Attach(MinedTuples tuples, Distance distance, Tensor embeddings, Tensor? reference, Tensor matrix) =>
        s_entries.AddOrUpdate(tuples, new Entry(distance, embeddings, reference, matrix));

    /// <summary>The matrix recorded with <paramref name="tuples"/> if it is exactly what <paramref name="distance"/> would compute, else null.</summary>
    public static Tensor? Take(MinedTuples tuples, Distance distance, Tensor embeddings, Tensor? reference)
    {
        if (!s_entries.TryGetValue(tuples, out var e))
        {
            return null;
        }
        // Whatever happens, the entry is used at most once: a second loss on the same tuples computes its own matrix.
        s_entries.Remove(tuples);
        bool same = ReferenceEquals(e.Embeddings, embeddings) && ReferenceEquals(e.Reference, reference)
            && e.Distance.ComputesSameAs(distance) && NoGradScopeAllows(e.Matrix);
        return same ? e.Matrix : null;
    }

    // Under NoGrad a loss must not receive a graph-connected matrix (its result would require a gradient).
    private static bool NoGradScopeAllows(Tensor matrix) => Tensors.Autograd.NoGradScope.GradEnabled || !matrix.RequiresGrad;

    private sealed record Entry(Distance Distance, Tensor Embeddings, Tensor? Reference, Tensor Matrix);
}

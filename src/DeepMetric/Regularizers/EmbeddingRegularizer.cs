using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>A penalty on the embeddings themselves, added to a loss with a weight.</summary>
public abstract class EmbeddingRegularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="weight">Multiplier of the reduced penalty.</param>
    /// <param name="reducer">Reducer of the per-embedding penalties (default mean).</param>
    protected EmbeddingRegularizer(float weight, Reducer? reducer)
    {
        Guard.NonNegative(weight);
        Weight = weight;
        Reducer = reducer ?? new MeanReducer();
    }

    /// <summary>Multiplier of the penalty.</summary>
    public float Weight { get; }

    /// <summary>Reducer of the per-embedding values.</summary>
    public Reducer Reducer { get; }

    /// <summary>The weighted scalar penalty for <paramref name="embeddings"/>.</summary>
    public Tensor Compute(Tensor embeddings, int[] labels) => Ops.Mul(Reducer.Reduce(Penalty(embeddings), labels), Weight);

    /// <summary>The unreduced penalty (one value per embedding).</summary>
    protected abstract LossTerm Penalty(Tensor embeddings);
}

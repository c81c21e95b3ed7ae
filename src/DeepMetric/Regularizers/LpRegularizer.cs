using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Reducers;
using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// Penalises the Lp norm of each embedding, ‖x‖ₚ^power (default: the L2 norm), e.g. the embedding regulariser of
/// the N-pair loss (Sohn, 2016), which uses the squared L2 norm.
/// </summary>
public sealed class LpRegularizer : EmbeddingRegularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="p">Order of the norm (&gt; 0).</param>
    /// <param name="power">Exponent of the norm (2 with p = 2 gives the squared L2 norm).</param>
    /// <param name="weight">Multiplier of the penalty.</param>
    /// <param name="reducer">Reducer over embeddings (default mean).</param>
    public LpRegularizer(float p = 2f, float power = 1f, float weight = 1f, Reducer? reducer = null) : base(weight, reducer)
    {
        Guard.Positive(p);
        Guard.Positive(power);
        P = p;
        Power = power;
    }

    /// <summary>Order of the norm.</summary>
    public float P { get; }

    /// <summary>Exponent of the norm.</summary>
    public float Power { get; }

    /// <inheritdoc/>
    protected override LossTerm Penalty(Tensor embeddings)
    {
        var s = Ops.Sum(Ops.Pow(Ops.Abs(embeddings), P), 1);           // Σ|x|ᵖ = ‖x‖ₚᵖ
        var values = Ops.Pow(s, Power / P);                              // ‖x‖ₚ^power
        return new LossTerm("embedding_norm", values, LossTermKind.Element, Enumerable.Range(0, embeddings.Dim(0)).ToArray());
    }
}

using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Inverted dropout (Srivastava et al., 2014): in training, zeroes each element with probability p and scales
/// the survivors by 1/(1−p); in evaluation, the identity. Masks come from the module's own seeded generator.
/// </summary>
public sealed class Dropout : Module, IRandomSource
{
    private readonly Prng _rng;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <param name="rng">Generator for the masks (kept and advanced by the module); null uses a fixed seed.</param>
    public Dropout(float p = 0.5f, Prng? rng = null)
    {
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must lie in [0, 1).");
        }
        P = p;
        _rng = rng ?? Init.DefaultRng(3);
    }

    /// <summary>Drop probability.</summary>
    public float P { get; }

    /// <summary>The generator drawing the masks (save its state to resume training exactly).</summary>
    public Prng Rng => _rng;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        // Nothing to drop: skip the op, which would only copy.
        return !IsTraining || P == 0f ? x : Ops.Dropout(x, P, training: true, _rng);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Dropout(p={P})";
}

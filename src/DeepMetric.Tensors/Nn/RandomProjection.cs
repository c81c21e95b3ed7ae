using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// A fixed (untrained) Gaussian random projection [N, …] → [N, outFeatures]: the input is flattened per item and
/// multiplied by a matrix R [inFeatures, outFeatures] with entries N(0, 1/outFeatures), which preserves Euclidean
/// lengths and angles approximately (Johnson &amp; Lindenstrauss, 1984; Achlioptas, "Database-friendly random
/// projections", PODS 2001). R is a buffer (saved in the state dict, never trained). Useful as a shortcut that keeps
/// the input's own geometry beside a learned branch (<see cref="Residual"/>).
/// </summary>
public sealed class RandomProjection : Module
{
    private readonly Tensor _matrix;

    /// <summary>Creates the projection.</summary>
    /// <param name="inFeatures">Values per input item (≥ 1).</param>
    /// <param name="outFeatures">Output dimension (≥ 1).</param>
    /// <param name="seed">Seed of the matrix.</param>
    public RandomProjection(int inFeatures, int outFeatures, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _matrix = RegisterBuffer("matrix", Init.Normal(Tensor.Zeros(inFeatures, outFeatures), new Prng(seed), 0, 1.0 / Math.Sqrt(outFeatures)));
    }

    /// <summary>Values per input item.</summary>
    public int InFeatures { get; }

    /// <summary>Output dimension.</summary>
    public int OutFeatures { get; }

    /// <summary>The projection matrix [inFeatures, outFeatures] (a buffer).</summary>
    public Tensor Matrix => _matrix;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">An item does not hold <see cref="InFeatures"/> values.</exception>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 1 || (x.Dim(0) > 0 ? x.Size / x.Dim(0) : 0) != InFeatures)
        {
            throw new ArgumentException($"RandomProjection expects items of {InFeatures} values, got shape {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        return Ops.Matmul(Ops.Reshape(x, x.Dim(0), InFeatures), _matrix);
    }

    /// <inheritdoc/>
    public override string ToString() => $"RandomProjection({InFeatures}, {OutFeatures})";
}

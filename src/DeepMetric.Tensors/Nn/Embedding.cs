using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> learned vectors of length <see cref="EmbeddingDim"/>
/// (parameter <c>weight</c> [V, D], initialised N(0, 1) like PyTorch).
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    /// <param name="numEmbeddings">Number of rows V (≥ 1).</param>
    /// <param name="embeddingDim">Length D of each vector (≥ 1).</param>
    /// <param name="rng">Generator for the initial values; null uses a fixed seed derived from the sizes.</param>
    public Embedding(int numEmbeddings, int embeddingDim, Prng? rng = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numEmbeddings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingDim);
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        rng ??= Init.DefaultRng(4, numEmbeddings, embeddingDim);
        Weight = RegisterParameter("weight", Init.Normal(Tensor.Zeros(numEmbeddings, embeddingDim), rng));
    }

    /// <summary>Number of rows.</summary>
    public int NumEmbeddings { get; }

    /// <summary>Length of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The table, of shape [V, D].</summary>
    public Tensor Weight { get; }

    /// <summary>The rows at <paramref name="indices"/>: [len, D].</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, V).</exception>
    public Tensor Forward(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)NumEmbeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Index {indices[i]} at position {i} is outside [0, {NumEmbeddings}).");
            }
        }
        return Ops.Embedding(Weight, indices);
    }

    /// <summary>
    /// The rows at the integer-valued entries of <paramref name="x"/> (any shape): result shape is x's shape
    /// followed by D.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is not an integer in [0, V).</exception>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var values = x.ReadOnlySpan;
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0 && v < NumEmbeddings) || v != MathF.Floor(v))
            {
                throw new ArgumentException($"Embedding({NumEmbeddings}, {EmbeddingDim}) needs integer indices in [0, {NumEmbeddings}), but element {i} is {v}.", nameof(x));
            }
            indices[i] = (int)v;
        }
        var rows = Ops.Embedding(Weight, indices);
        if (x.Rank == 1)
        {
            return rows;
        }
        var dims = new int[x.Rank + 1];
        x.Dims.CopyTo(dims, 0);
        dims[^1] = EmbeddingDim;
        return Ops.Reshape(rows, dims);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Embedding({NumEmbeddings}, {EmbeddingDim})";
}

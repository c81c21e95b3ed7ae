using DeepMetric.Distances;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Miners;

/// <summary>
/// What a miner sees: the N × M matrix of distance values (no gradient), batch and reference labels, and
/// whether the reference set is the batch itself (then the diagonal is neither positive nor negative).
/// </summary>
public sealed class MiningBatch
{
    private readonly ReadOnlyMemory<float> _values;
    private readonly ReadOnlyMemory<float> _embeddings;
    private readonly ReadOnlyMemory<float> _refEmbeddings;

    internal MiningBatch(ReadOnlyMemory<float> values, int[] labels, int[] refLabels, bool sameSet, Distance distance,
        ReadOnlyMemory<float> embeddings, ReadOnlyMemory<float> refEmbeddings, int dimension)
    {
        _values = values;
        _embeddings = embeddings;
        _refEmbeddings = refEmbeddings;
        Dimension = dimension;
        Labels = labels;
        RefLabels = refLabels;
        SameSet = sameSet;
        Distance = distance;
    }

    /// <summary>Labels of the batch (anchors), length N.</summary>
    public int[] Labels { get; }

    /// <summary>Labels of the reference set, length M.</summary>
    public int[] RefLabels { get; }

    /// <summary>True when the reference set is the batch itself.</summary>
    public bool SameSet { get; }

    /// <summary>The distance that produced the matrix (for its direction).</summary>
    public Distance Distance { get; }

    /// <summary>D, the embedding dimension (for miners whose rule depends on it or on the raw vectors).</summary>
    public int Dimension { get; }

    /// <summary>The raw (not normalised) embedding of batch item <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Embedding(int i) => _embeddings.Span.Slice(i * Dimension, Dimension);

    /// <summary>The raw (not normalised) embedding of reference item <paramref name="j"/>.</summary>
    public ReadOnlySpan<float> RefEmbedding(int j) => _refEmbeddings.Span.Slice(j * Dimension, Dimension);

    /// <summary>N.</summary>
    public int Rows => Labels.Length;

    /// <summary>M.</summary>
    public int Cols => RefLabels.Length;

    /// <summary>The whole N × M matrix, row-major.</summary>
    internal ReadOnlySpan<float> Values => _values.Span;

    /// <summary>Row <paramref name="i"/> of the matrix.</summary>
    public ReadOnlySpan<float> Row(int i) => _values.Span.Slice(i * Cols, Cols);

    /// <summary>The value between batch item <paramref name="i"/> and reference item <paramref name="j"/>.</summary>
    public float this[int i, int j] => _values.Span[(i * Cols) + j];

    /// <summary>True when (i, j) is a positive pair (same label, not the item itself).</summary>
    public bool IsPositive(int i, int j) => Labels[i] == RefLabels[j] && !(SameSet && i == j);

    /// <summary>True when (i, j) is a negative pair (different labels).</summary>
    public bool IsNegative(int i, int j) => Labels[i] != RefLabels[j];

    /// <summary>
    /// Every positive and every negative pair with its value, in pair order (anchor, then reference index), for miners
    /// that rank or bin all pairs.
    /// </summary>
    internal (List<(float V, int I, int J)> Positives, List<(float V, int I, int J)> Negatives) ValuedPairs()
    {
        List<(float V, int I, int J)> pos = [], neg = [];
        for (int i = 0; i < Rows; i++)
        {
            var row = Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                if (IsPositive(i, j))
                {
                    pos.Add((row[j], i, j));
                }
                else if (IsNegative(i, j))
                {
                    neg.Add((row[j], i, j));
                }
            }
        }
        return (pos, neg);
    }
}

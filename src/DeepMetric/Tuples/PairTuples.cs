namespace DeepMetric;

/// <summary>
/// Positive pairs (<see cref="PosAnchors"/>[i], <see cref="Positives"/>[i]) and negative pairs
/// (<see cref="NegAnchors"/>[j], <see cref="Negatives"/>[j]) — PyTorch Metric Learning's (a1, p, a2, n).
/// </summary>
public sealed record PairTuples : MinedTuples
{
    /// <summary>Creates pair tuples, checking that the arrays of each kind have equal lengths.</summary>
    public PairTuples(int[] posAnchors, int[] positives, int[] negAnchors, int[] negatives)
    {
        ArgumentNullException.ThrowIfNull(posAnchors);
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negAnchors);
        ArgumentNullException.ThrowIfNull(negatives);
        if (posAnchors.Length != positives.Length)
        {
            throw new ArgumentException($"posAnchors ({posAnchors.Length}) and positives ({positives.Length}) must have the same length.", nameof(positives));
        }
        if (negAnchors.Length != negatives.Length)
        {
            throw new ArgumentException($"negAnchors ({negAnchors.Length}) and negatives ({negatives.Length}) must have the same length.", nameof(negatives));
        }
        PosAnchors = posAnchors;
        Positives = positives;
        NegAnchors = negAnchors;
        Negatives = negatives;
    }

    /// <summary>Anchor of each positive pair.</summary>
    public int[] PosAnchors { get; }

    /// <summary>Positive of each positive pair.</summary>
    public int[] Positives { get; }

    /// <summary>Anchor of each negative pair.</summary>
    public int[] NegAnchors { get; }

    /// <summary>Negative of each negative pair.</summary>
    public int[] Negatives { get; }

    /// <summary>Number of positive pairs.</summary>
    public int PositiveCount => PosAnchors.Length;

    /// <summary>Number of negative pairs.</summary>
    public int NegativeCount => NegAnchors.Length;

    /// <inheritdoc/>
    public override int Count => PosAnchors.Length + NegAnchors.Length;

    /// <summary>No pairs at all.</summary>
    public static PairTuples Empty { get; } = new([], [], [], []);
}

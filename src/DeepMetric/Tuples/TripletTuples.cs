namespace DeepMetric;

/// <summary>Triplets (<see cref="Anchors"/>[i], <see cref="Positives"/>[i], <see cref="Negatives"/>[i]).</summary>
public sealed record TripletTuples : MinedTuples
{
    /// <summary>Creates triplets, checking that the three arrays have equal lengths.</summary>
    public TripletTuples(int[] anchors, int[] positives, int[] negatives)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        if (anchors.Length != positives.Length || anchors.Length != negatives.Length)
        {
            throw new ArgumentException($"anchors ({anchors.Length}), positives ({positives.Length}) and negatives ({negatives.Length}) must have the same length.", nameof(negatives));
        }
        Anchors = anchors;
        Positives = positives;
        Negatives = negatives;
    }

    /// <summary>Anchor of each triplet.</summary>
    public int[] Anchors { get; }

    /// <summary>Positive of each triplet.</summary>
    public int[] Positives { get; }

    /// <summary>Negative of each triplet.</summary>
    public int[] Negatives { get; }

    /// <inheritdoc/>
    public override int Count => Anchors.Length;

    /// <summary>No triplets.</summary>
    public static TripletTuples Empty { get; } = new([], [], []);
}

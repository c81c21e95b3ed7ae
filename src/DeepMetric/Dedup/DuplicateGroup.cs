namespace DeepMetric.Dedup;

/// <summary>
/// A set of items connected by near-duplicate pairs (a connected component of the "distance ≤ threshold" graph), at
/// least two items. Members are in input order; the first is the representative.
/// </summary>
/// <param name="Rows">Input positions of the members, ascending; <c>Rows[0]</c> is the representative.</param>
/// <param name="Ids">Ids of the members, in the same order.</param>
/// <param name="DistancesToRepresentative">Distance of each member to the representative (0 for the representative itself).
/// Members joined through a chain of pairs can be farther than the threshold from the representative.</param>
public sealed record DuplicateGroup(int[] Rows, string[] Ids, float[] DistancesToRepresentative)
{
    /// <summary>The representative's id (the member that comes first in the input).</summary>
    public string Representative => Ids[0];

    /// <summary>Number of members.</summary>
    public int Size => Rows.Length;
}

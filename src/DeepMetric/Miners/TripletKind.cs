namespace DeepMetric.Miners;

/// <summary>Which triplets <see cref="TripletMarginMiner"/> keeps, by their separation s = d(a,n) − d(a,p) (direction-aware).</summary>
public enum TripletKind
{
    /// <summary>Every triplet violating the margin: s ≤ margin.</summary>
    All,

    /// <summary>The negative is at least as close as the positive: s ≤ 0.</summary>
    Hard,

    /// <summary>The negative is farther than the positive but within the margin: 0 &lt; s ≤ margin (Schroff et al., 2015).</summary>
    SemiHard,

    /// <summary>Triplets already satisfying the margin: s &gt; margin.</summary>
    Easy,
}

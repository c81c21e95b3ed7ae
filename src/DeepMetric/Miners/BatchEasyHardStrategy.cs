namespace DeepMetric.Miners;

/// <summary>How <see cref="BatchEasyHardMiner"/> picks the positive or the negative of each anchor.</summary>
public enum BatchEasyHardStrategy
{
    /// <summary>The easiest: the closest positive, the farthest negative.</summary>
    Easy,

    /// <summary>
    /// Relative to the other side's choice: the farthest positive still closer than the chosen negative, or the
    /// closest negative still farther than the chosen positive.
    /// </summary>
    SemiHard,

    /// <summary>The hardest: the farthest positive, the closest negative.</summary>
    Hard,

    /// <summary>Every candidate.</summary>
    All,
}

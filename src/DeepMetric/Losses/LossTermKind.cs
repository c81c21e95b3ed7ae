namespace DeepMetric.Losses;

/// <summary>What each value of a <see cref="LossTerm"/> belongs to; reducers use it to weight or group values.</summary>
public enum LossTermKind
{
    /// <summary>One value per embedding (or per class/proxy; see <see cref="LossTerm.Anchors"/>).</summary>
    Element,

    /// <summary>One value per positive pair.</summary>
    PositivePair,

    /// <summary>One value per negative pair.</summary>
    NegativePair,

    /// <summary>One value per triplet.</summary>
    Triplet,

    /// <summary>A scalar the loss has reduced itself; reducers pass it through.</summary>
    AlreadyReduced,
}

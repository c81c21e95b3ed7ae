namespace DeepMetric.Losses;

/// <summary>The rank transformations of <see cref="PnpLoss"/> (Li et al., 2022), PyTorch Metric Learning's names.</summary>
public enum PnpVariant
{
    /// <summary>PNP-O: the number of negatives ranked before each positive, as is.</summary>
    O,

    /// <summary>PNP-D_s: log(1 + R), decreasing derivative.</summary>
    Ds,

    /// <summary>PNP-D_q: 1 − mean of 1/(1 + R)^α, decreasing derivative.</summary>
    Dq,

    /// <summary>PNP-I_u: (1 + R)·log(1 + R), increasing derivative.</summary>
    Iu,

    /// <summary>PNP-I_b: (bR − log(1 + bR))/b², increasing bounded derivative.</summary>
    Ib,
}

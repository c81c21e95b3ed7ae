namespace DeepMetric.Data;

/// <summary>Where a data set was found, in the order <see cref="FashionMnist.Locate(string?)"/> looks.</summary>
public enum DatasetOrigin
{
    /// <summary>A directory passed by the caller.</summary>
    Explicit,

    /// <summary>The directory named by the <c>DEEPMETRIC_DATA</c> environment variable.</summary>
    EnvironmentVariable,

    /// <summary>A system-wide copy, e.g. Debian's <c>dataset-fashion-mnist</c> package.</summary>
    System,

    /// <summary>The small subset shipped with DeepMetric (<c>data/fashion-mnist-subset</c>).</summary>
    ShippedSubset,
}

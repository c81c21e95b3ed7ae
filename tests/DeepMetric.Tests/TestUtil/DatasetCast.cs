using DeepMetric.Data;

namespace DeepMetric.Tests.TestUtil;

internal static class DatasetCast
{
    /// <summary>The dataset as the in-memory image set it is (splits and subsets of one keep its kind).</summary>
    public static ImageDataset Images(this IDataset data) => Assert.IsType<ImageDataset>(data);
}

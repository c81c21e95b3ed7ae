namespace DeepMetric.Data;

/// <summary>A directory holding a data set's files and how it was found.</summary>
/// <param name="Directory">Full path of the directory.</param>
/// <param name="Origin">Which step of the search found it.</param>
public sealed record DatasetLocation(string Directory, DatasetOrigin Origin);

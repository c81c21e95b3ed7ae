namespace DeepMetric.Search;

/// <summary>Small checks shared by the store and the indexes.</summary>
internal static class SearchIO
{
    /// <summary>Throws an <see cref="InvalidDataException"/> naming the file and the problem unless <paramref name="condition"/> holds.</summary>
    public static void Check(bool condition, string path, string problem)
    {
        if (!condition)
        {
            throw new InvalidDataException($"'{path}': {problem}");
        }
    }
}

namespace DeepMetric.FewShot;

/// <summary>Runs a classifier over few-shot episodes and summarises the accuracy with a 95 % confidence interval.</summary>
public static class FewShotEvaluator
{
    /// <summary>
    /// Classifies the queries of every episode from its support set, using <paramref name="features"/> (row <c>i</c> is
    /// dataset item <c>i</c>), and returns the mean per-episode accuracy ± its 95 % interval (see <see cref="AccuracyInterval"/>).
    /// </summary>
    /// <param name="features">Feature vectors of the dataset, row-major (<c>items × dimension</c>): embeddings or raw pixels.</param>
    /// <param name="dimension">Vector length.</param>
    /// <param name="episodes">Episodes whose indices refer to rows of <paramref name="features"/>.</param>
    /// <param name="method">The classifier.</param>
    /// <param name="k">Neighbours for <see cref="FewShotMethod.Knn"/>.</param>
    /// <exception cref="ArgumentException">No episodes, or an index is outside the features.</exception>
    public static AccuracyInterval Evaluate(ReadOnlySpan<float> features, int dimension, IReadOnlyList<FewShotEpisode> episodes, FewShotMethod method, int k = 1)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (features.Length % dimension != 0)
        {
            throw new ArgumentException($"The feature length {features.Length} is not a multiple of the dimension {dimension}.", nameof(features));
        }
        if (episodes.Count == 0)
        {
            throw new ArgumentException("At least one episode is needed.", nameof(episodes));
        }
        int items = features.Length / dimension;
        var accuracies = new double[episodes.Count];
        for (int e = 0; e < episodes.Count; e++)
        {
            var episode = episodes[e];
            var support = Gather(features, dimension, items, episode.SupportIndices);
            var queries = Gather(features, dimension, items, episode.QueryIndices);
            var predicted = method switch
            {
                FewShotMethod.Prototype => FewShotClassifier.NearestPrototype(support, episode.SupportLabels, episode.Ways, queries, dimension),
                FewShotMethod.Knn => FewShotClassifier.Knn(support, episode.SupportLabels, episode.Ways, queries, dimension, k),
                _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown few-shot method."),
            };
            int correct = 0;
            for (int q = 0; q < predicted.Length; q++)
            {
                correct += predicted[q] == episode.QueryLabels[q] ? 1 : 0;
            }
            accuracies[e] = (double)correct / predicted.Length;
        }
        return AccuracyInterval.FromAccuracies(accuracies);
    }

    private static float[] Gather(ReadOnlySpan<float> features, int dimension, int items, int[] indices)
    {
        var rows = GC.AllocateUninitializedArray<float>(indices.Length * dimension);
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)items)
            {
                throw new ArgumentException($"Episode index {indices[i]} is outside the {items} feature rows.", nameof(features));
            }
            features.Slice(indices[i] * dimension, dimension).CopyTo(rows.AsSpan(i * dimension, dimension));
        }
        return rows;
    }
}

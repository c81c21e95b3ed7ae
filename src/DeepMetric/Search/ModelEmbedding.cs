using DeepMetric.Data;
using DeepMetric.Training;

namespace DeepMetric.Search;

/// <summary>Runs an embedding model over a dataset and writes the vectors to an <see cref="EmbeddingStore"/>.</summary>
public static class ModelEmbedding
{
    /// <summary>
    /// Embeds every item of <paramref name="data"/> with <paramref name="model"/> (evaluation mode, no gradients) and
    /// writes an <see cref="EmbeddingStore"/> at <paramref name="path"/> with <paramref name="ids"/> and the dataset's labels.
    /// </summary>
    /// <param name="path">The store file to write (atomically).</param>
    /// <param name="model">The embedding network.</param>
    /// <param name="data">The items (read without augmentation).</param>
    /// <param name="ids">One distinct id per item, in order.</param>
    /// <param name="metadata">Model, metric and normalisation recorded in the store.</param>
    /// <param name="batchSize">Items per forward pass.</param>
    /// <returns>The embedding dimension.</returns>
    /// <exception cref="ArgumentException">The id count differs from the item count.</exception>
    public static int WriteStore(string path, EmbeddingModel model, IDataset data, IReadOnlyList<string> ids, EmbeddingMetadata metadata, int batchSize = 256)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(metadata);
        if (ids.Count != data.Count)
        {
            throw new ArgumentException($"Expected one id per item ({data.Count}), got {ids.Count}.", nameof(ids));
        }
        var embeddings = model.Embed(data, batchSize);
        int dimension = embeddings.Dim(1);
        if (dimension == 0)
        {
            throw new ArgumentException("The model produced zero-dimensional embeddings.", nameof(model));
        }
        EmbeddingStore.Write(path, embeddings.ReadOnlySpan, dimension, ids, data.Labels, metadata);
        return dimension;
    }
}

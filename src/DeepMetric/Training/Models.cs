using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric;

/// <summary>Reference embedding networks for 28×28 grey images (Fashion-MNIST, MNIST).</summary>
public static class Models
{
    /// <summary>
    /// An MLP: trunk Flatten → Linear(inputSize, hidden) → ReLU → Linear(hidden, hidden) → ReLU; embedder
    /// Linear(hidden, embeddingSize) (→ L2Normalize).
    /// </summary>
    /// <param name="embeddingSize">Embedding dimension.</param>
    /// <param name="normalize">L2-normalise the embeddings.</param>
    /// <param name="seed">Seed of the weight initialisation.</param>
    /// <param name="inputSize">Input values per item (784 for 28×28).</param>
    /// <param name="hidden">Hidden width.</param>
    public static EmbeddingModel Mlp(int embeddingSize = 64, bool normalize = true, ulong seed = 0, int inputSize = 784, int hidden = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        var rng = new Prng(seed);
        var trunk = new Sequential(
            new Flatten(), new Linear(inputSize, hidden, rng: rng), new ReLU(), new Linear(hidden, hidden, rng: rng), new ReLU());
        return new EmbeddingModel(trunk, Head(hidden, embeddingSize, normalize, rng));
    }

    /// <summary>
    /// The reference CNN: trunk Conv 3×3 (1→32, padding 1) → ReLU → MaxPool 2 → Conv 3×3 (32→64, padding 1) → ReLU →
    /// MaxPool 2 → Flatten → Linear(64·(h/4)·(w/4), 128) → ReLU; embedder Linear(128, embeddingSize) (→ L2Normalize).
    /// </summary>
    /// <param name="embeddingSize">Embedding dimension.</param>
    /// <param name="normalize">L2-normalise the embeddings.</param>
    /// <param name="seed">Seed of the weight initialisation.</param>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height (a multiple of 4 keeps every pixel).</param>
    /// <param name="width">Input width.</param>
    public static EmbeddingModel Cnn(int embeddingSize = 64, bool normalize = true, ulong seed = 0, int channels = 1, int height = 28, int width = 28)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 4);
        var rng = new Prng(seed);
        var trunk = new Sequential(
            new Conv2d(channels, 32, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, rng: rng), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * (height / 2 / 2) * (width / 2 / 2), 128, rng: rng), new ReLU());
        return new EmbeddingModel(trunk, Head(128, embeddingSize, normalize, rng));
    }

    private static Sequential Head(int features, int embeddingSize, bool normalize, Prng rng) => normalize
        ? new Sequential(new Linear(features, embeddingSize, rng: rng), new L2Normalize())
        : new Sequential(new Linear(features, embeddingSize, rng: rng));
}

using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Training;

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

    /// <summary>
    /// A small residual CNN (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, the CIFAR variant):
    /// trunk Conv 3×3 (channels→<paramref name="baseChannels"/>) → BatchNorm → ReLU, then three stages of
    /// <paramref name="blocksPerStage"/> basic blocks with <paramref name="baseChannels"/>, 2·width and 4·width channels (the
    /// first block of stages 2 and 3 has stride 2 and a 1×1 projection shortcut), then global average pooling; a basic
    /// block is ReLU(BN(Conv 3×3(ReLU(BN(Conv 3×3(x))))) + shortcut(x)) (<see cref="Residual"/>). Embedder
    /// Linear(4·width, embeddingSize) (→ L2Normalize). Convolutions followed by BatchNorm have no bias.
    /// </summary>
    /// <param name="embeddingSize">Embedding dimension.</param>
    /// <param name="normalize">L2-normalise the embeddings.</param>
    /// <param name="seed">Seed of the weight initialisation.</param>
    /// <param name="channels">Input channels.</param>
    /// <param name="height">Input height (≥ 4).</param>
    /// <param name="baseChannels">Channels of the first stage (the others have 2× and 4×).</param>
    /// <param name="blocksPerStage">Basic blocks per stage (≥ 1).</param>
    public static EmbeddingModel ResNet(int embeddingSize = 64, bool normalize = true, ulong seed = 0, int channels = 1, int height = 28, int baseChannels = 16,
        int blocksPerStage = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 4);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksPerStage);
        var rng = new Prng(seed);
        var trunk = new Sequential(new Conv2d(channels, baseChannels, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(baseChannels), new ReLU());
        int inChannels = baseChannels;
        for (int stage = 0; stage < 3; stage++)
        {
            int outChannels = baseChannels << stage;
            for (int block = 0; block < blocksPerStage; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                trunk.Add(BasicBlock(inChannels, outChannels, stride, rng)).Add(new ReLU());
                inChannels = outChannels;
            }
        }
        trunk.Add(new GlobalAvgPool2d());
        return new EmbeddingModel(trunk, Head(inChannels, embeddingSize, normalize, rng));
    }

    /// <summary>
    /// A learned correction around the pixels' own geometry: the trunk is a <see cref="Residual"/> whose shortcut is a
    /// fixed <see cref="RandomProjection"/> of the L2-normalised flattened image to <paramref name="embeddingSize"/>
    /// dimensions (angles between images are kept approximately, so at initialisation the embedding ranks like
    /// cosine similarity of raw pixels) and whose body is an MLP Flatten → Linear(inputSize, hidden) → ReLU →
    /// Linear(hidden, hidden) → ReLU → Linear(hidden, embeddingSize) with the last layer initialised to zero, so training
    /// starts exactly from the projection and learns only what improves on it. The embedder is
    /// <see cref="L2Normalize"/> (no parameters). On Fashion-MNIST's unseen classes the raw-pixel cosine geometry is a
    /// strong baseline that short metric training on the seen classes does not beat; this model keeps it available.
    /// </summary>
    /// <param name="embeddingSize">Embedding dimension (also the projection's).</param>
    /// <param name="seed">Seed of the weights and of the projection.</param>
    /// <param name="inputSize">Input values per item (784 for 28×28).</param>
    /// <param name="hidden">Hidden baseChannels of the learned branch.</param>
    public static EmbeddingModel PixelResidual(int embeddingSize = 256, ulong seed = 0, int inputSize = 784, int hidden = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        var rng = new Prng(seed);
        var last = new Linear(hidden, embeddingSize, rng: rng);
        Init.Zeros(last.Weight);
        Init.Zeros(last.Bias!);
        var body = new Sequential(
            new Flatten(), new Linear(inputSize, hidden, rng: rng), new ReLU(), new Linear(hidden, hidden, rng: rng), new ReLU(), last);
        var shortcut = new Sequential(new Flatten(), new L2Normalize(), new RandomProjection(inputSize, embeddingSize, rng.NextUInt64()));
        return new EmbeddingModel(new Residual(body, shortcut), new L2Normalize());
    }

    private static Residual BasicBlock(int inChannels, int outChannels, int stride, Prng rng)
    {
        var body = new Sequential(
            new Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false, rng: rng), new BatchNorm2d(outChannels), new ReLU(),
            new Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, rng: rng), new BatchNorm2d(outChannels));
        var shortcut = stride != 1 || inChannels != outChannels ? Residual.Projection(inChannels, outChannels, stride, rng) : null;
        return new Residual(body, shortcut);
    }

    private static Sequential Head(int features, int embeddingSize, bool normalize, Prng rng) => normalize
        ? new Sequential(new Linear(features, embeddingSize, rng: rng), new L2Normalize())
        : new Sequential(new Linear(features, embeddingSize, rng: rng));
}

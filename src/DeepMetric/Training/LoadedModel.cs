namespace DeepMetric.Training;

/// <summary>A model read back by <see cref="ModelLoader"/>, with what was learned about it.</summary>
/// <param name="Model">The network with the saved weights loaded.</param>
/// <param name="Kind">The architecture: <c>"mlp"</c> or <c>"cnn"</c> (see <see cref="Models"/>).</param>
/// <param name="EmbeddingSize">The embedding dimension.</param>
/// <param name="Normalized">True when the network L2-normalises its embeddings (the reference models do).</param>
/// <param name="WeightsPath">The safetensors file the weights came from.</param>
public sealed record LoadedModel(EmbeddingModel Model, string Kind, int EmbeddingSize, bool Normalized, string WeightsPath)
{
    /// <summary>Channels of the images the network takes (1 for grey images and feature vectors).</summary>
    public int InputChannels { get; init; } = 1;

    /// <summary>Height of the images the network takes (1 for feature vectors).</summary>
    public int InputHeight { get; init; } = 28;

    /// <summary>Width of the images the network takes (the dimension for feature vectors).</summary>
    public int InputWidth { get; init; } = 28;

    /// <summary>Values per input item: <see cref="InputChannels"/> × <see cref="InputHeight"/> × <see cref="InputWidth"/>.</summary>
    public int InputSize => InputChannels * InputHeight * InputWidth;
}

namespace DeepMetric;

/// <summary>A model read back by <see cref="ModelLoader"/>, with what was learned about it.</summary>
/// <param name="Model">The network with the saved weights loaded.</param>
/// <param name="Kind">The architecture: <c>"mlp"</c> or <c>"cnn"</c> (see <see cref="Models"/>).</param>
/// <param name="EmbeddingSize">The embedding dimension.</param>
/// <param name="Normalized">True when the network L2-normalises its embeddings (the reference models do).</param>
/// <param name="WeightsPath">The safetensors file the weights came from.</param>
public sealed record LoadedModel(EmbeddingModel Model, string Kind, int EmbeddingSize, bool Normalized, string WeightsPath);

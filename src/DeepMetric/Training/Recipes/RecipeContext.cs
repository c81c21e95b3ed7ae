namespace DeepMetric.Training.Recipes;

/// <summary>What a recipe's loss and miner factories need to know about the run.</summary>
/// <param name="NumClasses">Class-label range of the training data (classifier and proxy losses size their weights by it).</param>
/// <param name="EmbeddingSize">Embedding dimension.</param>
/// <param name="Seed">Run seed, for losses and miners that initialise or sample.</param>
public sealed record RecipeContext(int NumClasses, int EmbeddingSize, ulong Seed);

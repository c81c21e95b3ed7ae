using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Samplers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Optim;

namespace DeepMetric.Training.Recipes;

/// <summary>
/// A named, complete training configuration: network, loss and miner, sampler and optimizer settings. Build the
/// pieces with <see cref="CreateModel"/>, <see cref="CreateLoss"/>, <see cref="CreateMiner"/>,
/// <see cref="CreateSampler"/> and <see cref="CreateOptimizer"/>; <see cref="Recipes.All"/> lists the built-in ones.
/// </summary>
/// <param name="Name">Short name, e.g. <c>triplet-semihard</c>.</param>
/// <param name="Description">One line: loss, miner and paper.</param>
/// <param name="Model">The network.</param>
/// <param name="LossName">Name of the loss on the command line (<c>deepmetric train --loss</c>).</param>
/// <param name="MinerName">Name of the miner on the command line (<c>--miner</c>; <c>none</c> for no miner).</param>
/// <param name="LossFactory">Creates the loss.</param>
/// <param name="MinerFactory">Creates the miner (returns null for none).</param>
/// <param name="BatchSize">Images per batch.</param>
/// <param name="MPerClass">Images per class in a batch (<see cref="MPerClassSampler"/>).</param>
/// <param name="LearningRate">Adam learning rate.</param>
/// <param name="EmbeddingSize">Embedding dimension (embeddings are L2-normalised).</param>
public sealed record Recipe(
    string Name,
    string Description,
    ModelKind Model,
    string LossName,
    string MinerName,
    Func<RecipeContext, MetricLoss> LossFactory,
    Func<RecipeContext, Miner?> MinerFactory,
    int BatchSize = 128,
    int MPerClass = 32,
    float LearningRate = 1e-3f,
    int EmbeddingSize = 64)
{
    /// <summary>The recipe's network, initialised from <paramref name="seed"/>.</summary>
    /// <param name="seed">Seed of the weight initialisation.</param>
    /// <param name="embeddingSize">Embedding dimension (default: the recipe's).</param>
    public EmbeddingModel CreateModel(ulong seed = 0, int? embeddingSize = null) => Model switch
    {
        ModelKind.Cnn => Models.Cnn(embeddingSize ?? EmbeddingSize, seed: seed),
        ModelKind.ResNet => Models.ResNet(embeddingSize ?? EmbeddingSize, seed: seed),
        ModelKind.PixelResidual => Models.PixelResidual(embeddingSize ?? EmbeddingSize, seed: seed),
        _ => Models.Mlp(embeddingSize ?? EmbeddingSize, seed: seed),
    };

    /// <summary>The recipe's loss.</summary>
    /// <param name="context">Classes, embedding size and seed of the run.</param>
    public MetricLoss CreateLoss(RecipeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return LossFactory(context);
    }

    /// <summary>The recipe's miner, or null when the loss uses every tuple of the batch.</summary>
    /// <param name="context">Classes, embedding size and seed of the run.</param>
    public Miner? CreateMiner(RecipeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return MinerFactory(context);
    }

    /// <summary>An <see cref="MPerClassSampler"/> of <see cref="BatchSize"/> images, <see cref="MPerClass"/> per class.</summary>
    /// <param name="labels">Labels of the training set.</param>
    /// <param name="seed">Sampling seed.</param>
    public BatchSampler CreateSampler(ReadOnlySpan<int> labels, ulong seed = 0) => new MPerClassSampler(labels, MPerClass, BatchSize, seed);

    /// <summary>Adam with <see cref="LearningRate"/> over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">Model and loss parameters.</param>
    public Optimizer CreateOptimizer(IReadOnlyList<Tensor> parameters) => new Adam(parameters, lr: LearningRate);

    /// <summary>The same recipe on another network, named <c>&lt;model&gt;-&lt;name&gt;</c> (e.g. <c>cnn-ms</c>).</summary>
    /// <param name="model">The network.</param>
    public Recipe On(ModelKind model) => this with { Name = $"{Recipes.ModelName(model)}-{Name}", Model = model };
}

using DeepMetric.Runs;

namespace DeepMetric.Training.Recipes;

/// <summary>
/// The built-in recipes. All but <c>pixel-ms</c> train the MLP with batches of 128 (4 classes × 32 unless noted), Adam 1e-3 and
/// L2-normalised 64-d embeddings (<c>pixel-ms</c>: the pixel-residual network, batches of 3 classes × 32, Adam 1e-5, 256-d); the loss and miner hyperparameters are the papers' (and pytorch-metric-learning's)
/// defaults unless the description says otherwise. <see cref="Find"/> also accepts <c>mlp-NAME</c> and
/// <c>cnn-NAME</c> to pick the network.
/// </summary>
public static class Recipes
{
    /// <summary>The default recipe of <c>deepmetric train</c>.</summary>
    public const string DefaultName = "triplet-semihard";

    /// <summary>Every built-in recipe, in listing order.</summary>
    public static IReadOnlyList<Recipe> All { get; } = Array.AsReadOnly<Recipe>(
    [
        Named(DefaultName, "TripletMarginLoss(0.1) + semi-hard TripletMarginMiner(0.2); Schroff et al. 2015", ModelKind.Mlp, "triplet", "semihard"),
        Named("triplet-batchhard", "TripletMarginLoss(0.1) + BatchHardMiner; Hermans et al. 2017", ModelKind.Mlp, "triplet", "batch-hard"),
        Named("ms", "MultiSimilarityLoss(2, 50, 0.5) + MultiSimilarityMiner(0.1); Wang et al. 2019", ModelKind.Mlp, "ms", "ms"),
        Named("contrastive", "ContrastiveLoss(0, 1) + PairMarginMiner(0.2, 0.8); Hadsell et al. 2006", ModelKind.Mlp, "contrastive", "pair-margin"),
        Named("npair", "NPairsLoss on every pair of the batch; Sohn 2016", ModelKind.Mlp, "npair", "none"),
        Named("lifted", "LiftedStructureLoss(1); Song et al. 2016", ModelKind.Mlp, "lifted", "none"),
        Named("center-ce", "softmax cross-entropy + center loss (lambda 0.003); Wen et al. 2016", ModelKind.Mlp, "center-ce", "none"),
        Named("fstat", "FStatisticLoss on P×K batches (4 classes × 32); Ridgeway & Mozer 2018", ModelKind.Mlp, "fstat", "none"),
        Named("spce", "SpceLoss, simplified pairwise cross-entropy; Boudiaf et al. 2020", ModelKind.Mlp, "spce", "none"),
        Named("pce", "PceLoss(lambda 1), pairwise cross-entropy; Boudiaf et al. 2020", ModelKind.Mlp, "pce", "none"),
        Named("proxy-anchor", "ProxyAnchorLoss(alpha 32, delta 0.1); Kim et al. 2020", ModelKind.Mlp, "proxy-anchor", "none"),
        Named("arcface", "ArcFaceLoss(margin 0.5, scale 64); Deng et al. 2019", ModelKind.Mlp, "arcface", "none"),
        Named("circle", "CircleLoss(margin 0.4, gamma 80); Sun et al. 2020", ModelKind.Mlp, "circle", "none"),
        Named("supcon", "SupConLoss(temperature 0.1); Khosla et al. 2020", ModelKind.Mlp, "supcon", "none"),
        Named("ntxent", "NTXentLoss (InfoNCE, temperature 0.07) with same-class pairs as positives; Chen et al. 2020", ModelKind.Mlp, "ntxent", "none"),
        Named("pixel-ms", "MultiSimilarityLoss(2, 50, 0.5) + MultiSimilarityMiner(0.1) on the pixel-residual network (256-d), Adam 1e-5: a small learned correction of the raw-pixel geometry; best found for unseen classes (README)",
            ModelKind.PixelResidual, "ms", "ms", batchSize: 96, learningRate: 1e-5f, embeddingSize: 256),
        Named("normalized-softmax", "NormalizedSoftmaxLoss(temperature 0.05); Zhai & Wu 2019", ModelKind.Mlp, "normalized-softmax", "none"),
    ]);

    // The loss and miner come from the registry, with its defaults (the papers' hyperparameters), so a recipe and
    // the same --loss/--miner on the command line build the same objects.
    private static Recipe Named(string name, string description, ModelKind model, string loss, string miner,
        int batchSize = 128, int mPerClass = 32, float learningRate = 1e-3f, int embeddingSize = 64) =>
        new(name, description, model, loss, miner,
            c => LossRegistry.CreateLoss(loss, Settings(c)), c => LossRegistry.CreateMiner(miner, Settings(c)),
            batchSize, mPerClass, learningRate, embeddingSize);

    private static LossSettings Settings(RecipeContext c) => new(Margin: null, MinerMargin: null, c.Seed, c.NumClasses, c.EmbeddingSize);

    /// <summary>The recipe named <paramref name="name"/> (ordinal, case-insensitive), or null. A <c>mlp-</c> or <c>cnn-</c>
    /// prefix selects the network (<see cref="Recipe.On"/>).</summary>
    /// <param name="name">Recipe name.</param>
    public static Recipe? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var r in All)
        {
            if (string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return r;
            }
        }
        foreach (var kind in Enum.GetValues<ModelKind>())
        {
            var prefix = ModelName(kind) + "-";
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && Find(name[prefix.Length..]) is { } r)
            {
                return r.On(kind);
            }
        }
        return null;
    }

    /// <summary>The recipe named <paramref name="name"/>.</summary>
    /// <param name="name">Recipe name (see <see cref="Find"/>).</param>
    /// <exception cref="ArgumentException">No recipe has that name; the message lists the known ones.</exception>
    public static Recipe Get(string name) => Find(name)
        ?? throw new ArgumentException($"Unknown recipe '{name}'. Known: {string.Join(", ", Names)} (optionally prefixed mlp-, cnn-, resnet- or pixel-residual-).", nameof(name));

    /// <summary>The command-line name of a network: <c>mlp</c>, <c>cnn</c>, <c>resnet</c> or <c>pixel-residual</c> (also the recipe-name prefix).</summary>
    /// <param name="kind">The network.</param>
    public static string ModelName(ModelKind kind) => kind switch
    {
        ModelKind.Mlp => "mlp",
        ModelKind.Cnn => "cnn",
        ModelKind.ResNet => "resnet",
        ModelKind.PixelResidual => "pixel-residual",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown model kind."),
    };

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(All.Select(r => r.Name).ToArray());
}

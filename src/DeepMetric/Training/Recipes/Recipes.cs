namespace DeepMetric;

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
        new(DefaultName, "TripletMarginLoss(0.1) + semi-hard TripletMarginMiner(0.2); Schroff et al. 2015", ModelKind.Mlp, "triplet", "semihard",
            c => new TripletMarginLoss(margin: 0.1f, seed: c.Seed), _ => new TripletMarginMiner(0.2f, TripletKind.SemiHard)),
        new("triplet-batchhard", "TripletMarginLoss(0.1) + BatchHardMiner; Hermans et al. 2017", ModelKind.Mlp, "triplet", "batch-hard",
            c => new TripletMarginLoss(margin: 0.1f, seed: c.Seed), _ => new BatchHardMiner()),
        new("ms", "MultiSimilarityLoss(2, 50, 0.5) + MultiSimilarityMiner(0.1); Wang et al. 2019", ModelKind.Mlp, "ms", "ms",
            _ => new MultiSimilarityLoss(), _ => new MultiSimilarityMiner(0.1f)),
        new("contrastive", "ContrastiveLoss(0, 1) + PairMarginMiner(0.2, 0.8); Hadsell et al. 2006", ModelKind.Mlp, "contrastive", "pair-margin",
            _ => new ContrastiveLoss(negMargin: 1f), _ => new PairMarginMiner()),
        new("npair", "NPairsLoss on every pair of the batch; Sohn 2016", ModelKind.Mlp, "npair", "none",
            _ => new NPairsLoss(distance: new DotProductSimilarity(normalizeEmbeddings: false)), _ => null),
        new("lifted", "LiftedStructureLoss(1); Song et al. 2016", ModelKind.Mlp, "lifted", "none",
            _ => new LiftedStructureLoss(negMargin: 1f, distance: new LpDistance(normalizeEmbeddings: false)), _ => null),
        new("center-ce", "softmax cross-entropy + center loss (lambda 0.003); Wen et al. 2016", ModelKind.Mlp, "center-ce", "none",
            c => new CenterLossWithCrossEntropy(c.NumClasses, c.EmbeddingSize, seed: c.Seed), _ => null),
        new("fstat", "FStatisticLoss on P×K batches (4 classes × 32); Ridgeway & Mozer 2018", ModelKind.Mlp, "fstat", "none",
            _ => new FStatisticLoss(), _ => null),
        new("spce", "SpceLoss, simplified pairwise cross-entropy; Boudiaf et al. 2020", ModelKind.Mlp, "spce", "none",
            _ => new SpceLoss(), _ => null),
        new("pce", "PceLoss(lambda 1), pairwise cross-entropy; Boudiaf et al. 2020", ModelKind.Mlp, "pce", "none",
            _ => new PceLoss(), _ => null),
        new("proxy-anchor", "ProxyAnchorLoss(alpha 32, delta 0.1); Kim et al. 2020", ModelKind.Mlp, "proxy-anchor", "none",
            c => new ProxyAnchorLoss(c.NumClasses, c.EmbeddingSize, delta: 0.1f, seed: c.Seed), _ => null),
        new("arcface", "ArcFaceLoss(margin 0.5, scale 64); Deng et al. 2019", ModelKind.Mlp, "arcface", "none",
            c => new ArcFaceLoss(c.NumClasses, c.EmbeddingSize, margin: 0.5f * (180f / MathF.PI), seed: c.Seed), _ => null),
        new("circle", "CircleLoss(margin 0.4, gamma 80); Sun et al. 2020", ModelKind.Mlp, "circle", "none",
            _ => new CircleLoss(margin: 0.4f), _ => null),
        new("supcon", "SupConLoss(temperature 0.1); Khosla et al. 2020", ModelKind.Mlp, "supcon", "none",
            _ => new SupConLoss(), _ => null),
        new("ntxent", "NTXentLoss (InfoNCE, temperature 0.07) with same-class pairs as positives; Chen et al. 2020", ModelKind.Mlp, "ntxent", "none",
            _ => new NTXentLoss(), _ => null),
        new("pixel-ms", "MultiSimilarityLoss(2, 50, 0.5) + MultiSimilarityMiner(0.1) on the pixel-residual network (256-d), Adam 1e-5: a small learned correction of the raw-pixel geometry; best found for unseen classes (README)",
            ModelKind.PixelResidual, "ms", "ms", _ => new MultiSimilarityLoss(), _ => new MultiSimilarityMiner(0.1f), BatchSize: 96, LearningRate: 1e-5f, EmbeddingSize: 256),
        new("normalized-softmax", "NormalizedSoftmaxLoss(temperature 0.05); Zhai & Wu 2019", ModelKind.Mlp, "normalized-softmax", "none",
            c => new NormalizedSoftmaxLoss(c.NumClasses, c.EmbeddingSize, seed: c.Seed), _ => null),
    ]);

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

using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Runs;

/// <summary>
/// The losses and miners by name: what <c>deepmetric train --loss</c> and <c>--miner</c> accept, what
/// <see cref="RunConfig"/> records and what the built-in <see cref="Recipes"/> are made of. To offer a new loss, add one
/// entry here: a name, a one-line description (with the paper) and a factory from <see cref="LossSettings"/>.
/// </summary>
public static class LossRegistry
{
    /// <summary>The miner name meaning "no miner" (all valid tuples of the batch).</summary>
    public const string NoMiner = "none";

    /// <summary>Losses by name, in the order help lists them.</summary>
    public static IReadOnlyList<RegistryEntry<MetricLoss>> Losses { get; } = Array.AsReadOnly<RegistryEntry<MetricLoss>>(
    [
        new("triplet", "TripletMarginLoss, Schroff et al. 2015 (margin default 0.1)", s => new TripletMarginLoss(margin: s.Margin ?? 0.1f, seed: s.Seed)),
        new("contrastive", "ContrastiveLoss, Hadsell et al. 2006 (negative margin default 1; positive margin 0)", s => new ContrastiveLoss(negMargin: s.Margin ?? 1f)),
        new("ms", "MultiSimilarityLoss, Wang et al. 2019 (alpha 2, beta 50, base 0.5)", _ => new MultiSimilarityLoss()),
        new("circle", "CircleLoss, Sun et al. 2020 (margin default 0.4, gamma 80)", s => new CircleLoss(margin: s.Margin ?? 0.4f)),
        new("supcon", "SupConLoss, Khosla et al. 2020 (temperature 0.1)", _ => new SupConLoss()),
        new("ntxent", "NTXentLoss (InfoNCE), Chen et al. 2020 (temperature 0.07)", _ => new NTXentLoss()),
        new("npair", "NPairsLoss, Sohn 2016", _ => new NPairsLoss(distance: new DotProductSimilarity(normalizeEmbeddings: false))),
        new("lifted", "LiftedStructureLoss, Song et al. 2016 (margin default 1)", s => new LiftedStructureLoss(negMargin: s.Margin ?? 1f, distance: new LpDistance(normalizeEmbeddings: false))),
        new("generalized-lifted", "GeneralizedLiftedStructureLoss, Hermans et al. 2017 (negative margin default 1)", s => new GeneralizedLiftedStructureLoss(negMargin: s.Margin ?? 1f)),
        new("margin", "MarginLoss with learnable beta, Wu et al. 2017 (margin default 0.2)", s => new MarginLoss(margin: s.Margin ?? 0.2f, learnBeta: true)),
        new("nca", "NcaLoss, Goldberger et al. 2004", _ => new NcaLoss(distance: new LpDistance(normalizeEmbeddings: false, power: 2f))),
        new("snca", "SncaLoss, Wu et al. 2018 (temperature 0.05)", _ => new SncaLoss()),
        new("tuplet", "TupletMarginLoss, Yu & Tao 2019 (s 64, margin 5.73 degrees)", _ => new TupletMarginLoss()),
        new("angular", "AngularLoss, Wang et al. 2017 (alpha 40 degrees)", _ => new AngularLoss()),
        new("intra-pair-variance", "IntraPairVarianceLoss, Kim et al. 2019", _ => new IntraPairVarianceLoss()),
        new("snr", "SnrContrastiveLoss, Yuan et al. 2019", _ => new SnrContrastiveLoss(distance: new SnrDistance(normalizeEmbeddings: false))),
        new("ranked-list", "RankedListLoss, Wang et al. 2019 (margin default 0.4)", s => new RankedListLoss(margin: s.Margin ?? 0.4f)),
        new("histogram", "HistogramLoss, Ustinova & Lempitsky 2016 (100 bins)", _ => new HistogramLoss()),
        new("dynamic-soft-margin", "DynamicSoftMarginLoss, Zhang et al. 2019", _ => new DynamicSoftMarginLoss()),
        new("fastap", "FastApLoss, Cakir et al. 2019 (10 bins)", _ => new FastApLoss()),
        new("smoothap", "SmoothApLoss, Brown et al. 2020 (temperature 0.01)", _ => new SmoothApLoss()),
        new("fstat", "FStatisticLoss, Ridgeway & Mozer 2018 (batches of P classes x K)", _ => new FStatisticLoss()),
        new("spce", "SpceLoss, simplified pairwise cross-entropy, Boudiaf et al. 2020", _ => new SpceLoss()),
        new("pce", "PceLoss, pairwise cross-entropy, Boudiaf et al. 2020 (lambda 1)", _ => new PceLoss()),
        new("cross-entropy", "CrossEntropyLoss through a linear classifier", s => new CrossEntropyLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("normalized-softmax", "NormalizedSoftmaxLoss, Zhai & Wu 2019 (temperature 0.05)", s => new NormalizedSoftmaxLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("center-ce", "Center loss + softmax cross-entropy, Wen et al. 2016 (lambda 0.003, alpha 0.5)", s => new CenterLossWithCrossEntropy(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("proxy-nca", "ProxyNcaLoss, Movshovitz-Attias et al. 2017", s => new ProxyNcaLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("proxy-anchor", "ProxyAnchorLoss, Kim et al. 2020 (alpha 32, margin default 0.1)", s => new ProxyAnchorLoss(s.NumClasses, s.EmbeddingSize, margin: s.Margin ?? 0.1f, seed: s.Seed)),
        new("softtriple", "SoftTripleLoss, Qian et al. 2019 (10 centres per class)", s => new SoftTripleLoss(s.NumClasses, s.EmbeddingSize, regularizerWeight: 0.2f, seed: s.Seed)),
        new("arcface", "ArcFaceLoss, Deng et al. 2019 (s 64, margin default 0.5)", s => new ArcFaceLoss(s.NumClasses, s.EmbeddingSize, margin: (s.Margin ?? 0.5f) * (180f / MathF.PI), seed: s.Seed)),
        new("subcenter-arcface", "SubCenterArcFaceLoss, Deng et al. 2020 (3 sub-centres)", s => new SubCenterArcFaceLoss(s.NumClasses, s.EmbeddingSize, margin: (s.Margin ?? 0.5f) * (180f / MathF.PI), seed: s.Seed)),
        new("cosface", "CosFaceLoss, Wang et al. 2018 (s 64, margin default 0.35)", s => new CosFaceLoss(s.NumClasses, s.EmbeddingSize, margin: s.Margin ?? 0.35f, seed: s.Seed)),
        new("sphereface", "SphereFaceLoss, Liu et al. 2017 (m 4)", s => new SphereFaceLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("large-margin-softmax", "LargeMarginSoftmaxLoss, Liu et al. 2016 (m 4)", s => new LargeMarginSoftmaxLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("p2sgrad", "P2SGradLoss, Zhang et al. 2019", s => new P2SGradLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        new("instance", "InstanceLoss, Zheng et al. 2020 (gamma 64)", _ => new InstanceLoss()),
        new("manifold", "ManifoldLoss, Aziere & Todorovic 2019 (one proxy per class, alpha 0.8, lambdaC 1)", s => new ManifoldLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
    ]);

    /// <summary>Miners by name; <see cref="NoMiner"/> maps to null.</summary>
    public static IReadOnlyList<RegistryEntry<Miner?>> Miners { get; } = Array.AsReadOnly<RegistryEntry<Miner?>>(
    [
        new("semihard", "TripletMarginMiner, semi-hard triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.SemiHard)),
        new("hard", "TripletMarginMiner, hard triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.Hard)),
        new("all", "TripletMarginMiner, all margin-violating triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.All)),
        new("batch-hard", "BatchHardMiner: hardest positive and negative per anchor", _ => new BatchHardMiner()),
        new("ms", "MultiSimilarityMiner, Wang et al. 2019 (epsilon default 0.1)", s => new MultiSimilarityMiner(s.MinerMargin ?? 0.1f)),
        new("pair-margin", "PairMarginMiner (positive margin 0.2, negative margin 0.8)", _ => new PairMarginMiner()),
        new("distance-weighted", "DistanceWeightedMiner, Wu et al. 2017", s => new DistanceWeightedMiner(seed: s.Seed)),
        new("hdc", "HdcMiner, Yuan et al. 2017 (hardest 50 %)", _ => new HdcMiner()),
        new("angular", "AngularMiner, Wang et al. 2017 (20 degrees)", _ => new AngularMiner(normalizeEmbeddings: true)),
        new("batch-easy-hard", "BatchEasyHardMiner, Xuan et al. 2020 (easy positives, semi-hard negatives)", _ => new BatchEasyHardMiner()),
        new("uniform-histogram", "UniformHistogramMiner", s => new UniformHistogramMiner(seed: s.Seed)),
        new("lifted", "LiftedStructureMiner: hardest negatives of both ends of each positive pair", _ => new LiftedStructureMiner()),
        new(NoMiner, "no miner: the loss uses every valid tuple of the batch", _ => null),
    ]);

    /// <summary>The loss names, in listing order.</summary>
    public static string[] LossNames => [.. Losses.Select(l => l.Name)];

    /// <summary>The miner names, in listing order.</summary>
    public static string[] MinerNames => [.. Miners.Select(m => m.Name)];

    /// <summary>The loss named <paramref name="name"/> (ordinal), built from <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentException">No loss has that name.</exception>
    public static MetricLoss CreateLoss(string name, LossSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Find(Losses, name, "loss").Create(settings);
    }

    /// <summary>The miner named <paramref name="name"/> (ordinal), built from <paramref name="settings"/>; null for <see cref="NoMiner"/>.</summary>
    /// <exception cref="ArgumentException">No miner has that name.</exception>
    public static Miner? CreateMiner(string name, LossSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Find(Miners, name, "miner").Create(settings);
    }

    private static RegistryEntry<T> Find<T>(IReadOnlyList<RegistryEntry<T>> entries, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        return entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal))
            ?? throw new ArgumentException($"Unknown {what} '{name}'; expected one of {string.Join(", ", entries.Select(e => e.Name))}.", nameof(name));
    }
}

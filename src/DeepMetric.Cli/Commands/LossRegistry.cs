namespace DeepMetric.Cli.Commands;

/// <summary>
/// The losses and miners <c>--loss</c> and <c>--miner</c> accept, by name. To offer a new loss on the command line,
/// add one entry here: a name, a one-line description and a factory from <see cref="LossSettings"/>.
/// </summary>
internal static class LossRegistry
{
    /// <summary>The miner name meaning "no miner" (all valid tuples of the batch).</summary>
    internal const string NoMiner = "none";

    /// <summary>Losses by name, in the order help lists them.</summary>
    internal static IReadOnlyList<(string Name, string Description, Func<LossSettings, MetricLoss> Create)> Losses { get; } =
    [
        ("triplet", "TripletMarginLoss, Schroff et al. 2015 (margin default 0.1)", s => new TripletMarginLoss(margin: s.Margin ?? 0.1f, seed: s.Seed)),
        ("contrastive", "ContrastiveLoss, Hadsell et al. 2006 (negative margin default 1; positive margin 0)", s => new ContrastiveLoss(negMargin: s.Margin ?? 1f)),
        ("ms", "MultiSimilarityLoss, Wang et al. 2019 (alpha 2, beta 50, base 0.5)", _ => new MultiSimilarityLoss()),
        ("circle", "CircleLoss, Sun et al. 2020 (margin default 0.4, gamma 80)", s => new CircleLoss(margin: s.Margin ?? 0.4f)),
        ("supcon", "SupConLoss, Khosla et al. 2020 (temperature 0.1)", _ => new SupConLoss()),
        ("ntxent", "NTXentLoss (InfoNCE), Chen et al. 2020 (temperature 0.07)", _ => new NTXentLoss()),
        ("npair", "NPairsLoss, Sohn 2016", _ => new NPairsLoss(distance: new DotProductSimilarity(normalizeEmbeddings: false))),
        ("lifted", "LiftedStructureLoss, Song et al. 2016 (margin default 1)", s => new LiftedStructureLoss(negMargin: s.Margin ?? 1f, distance: new LpDistance(normalizeEmbeddings: false))),
        ("generalized-lifted", "GeneralizedLiftedStructureLoss, Hermans et al. 2017 (negative margin default 1)", s => new GeneralizedLiftedStructureLoss(negMargin: s.Margin ?? 1f)),
        ("margin", "MarginLoss with learnable beta, Wu et al. 2017 (margin default 0.2)", s => new MarginLoss(margin: s.Margin ?? 0.2f, learnBeta: true)),
        ("nca", "NcaLoss, Goldberger et al. 2004", _ => new NcaLoss(distance: new LpDistance(normalizeEmbeddings: false, power: 2f))),
        ("snca", "SncaLoss, Wu et al. 2018 (temperature 0.05)", _ => new SncaLoss()),
        ("tuplet", "TupletMarginLoss, Yu & Tao 2019 (s 64, margin 5.73 degrees)", _ => new TupletMarginLoss()),
        ("angular", "AngularLoss, Wang et al. 2017 (alpha 40 degrees)", _ => new AngularLoss()),
        ("intra-pair-variance", "IntraPairVarianceLoss, Kim et al. 2019", _ => new IntraPairVarianceLoss()),
        ("snr", "SnrContrastiveLoss, Yuan et al. 2019", _ => new SnrContrastiveLoss(distance: new SnrDistance(normalizeEmbeddings: false))),
        ("ranked-list", "RankedListLoss, Wang et al. 2019 (margin default 0.4)", s => new RankedListLoss(margin: s.Margin ?? 0.4f)),
        ("histogram", "HistogramLoss, Ustinova & Lempitsky 2016 (100 bins)", _ => new HistogramLoss()),
        ("dynamic-soft-margin", "DynamicSoftMarginLoss, Zhang et al. 2019", _ => new DynamicSoftMarginLoss()),
        ("fastap", "FastApLoss, Cakir et al. 2019 (10 bins)", _ => new FastApLoss()),
        ("smoothap", "SmoothApLoss, Brown et al. 2020 (temperature 0.01)", _ => new SmoothApLoss()),
        ("fstat", "FStatisticLoss, Ridgeway & Mozer 2018 (batches of P classes x K)", _ => new FStatisticLoss()),
        ("spce", "SpceLoss, simplified pairwise cross-entropy, Boudiaf et al. 2020", _ => new SpceLoss()),
        ("pce", "PceLoss, pairwise cross-entropy, Boudiaf et al. 2020 (lambda 1)", _ => new PceLoss()),
        ("cross-entropy", "CrossEntropyLoss through a linear classifier", s => new CrossEntropyLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("normalized-softmax", "NormalizedSoftmaxLoss, Zhai & Wu 2019 (temperature 0.05)", s => new NormalizedSoftmaxLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("center-ce", "Center loss + softmax cross-entropy, Wen et al. 2016 (lambda 0.003, alpha 0.5)", s => new CenterLossWithCrossEntropy(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("proxy-nca", "ProxyNcaLoss, Movshovitz-Attias et al. 2017", s => new ProxyNcaLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("proxy-anchor", "ProxyAnchorLoss, Kim et al. 2020 (alpha 32, delta default 0.1)", s => new ProxyAnchorLoss(s.NumClasses, s.EmbeddingSize, delta: s.Margin ?? 0.1f, seed: s.Seed)),
        ("softtriple", "SoftTripleLoss, Qian et al. 2019 (10 centres per class)", s => new SoftTripleLoss(s.NumClasses, s.EmbeddingSize, regularizerWeight: 0.2f, seed: s.Seed)),
        ("arcface", "ArcFaceLoss, Deng et al. 2019 (s 64, margin default 0.5)", s => new ArcFaceLoss(s.NumClasses, s.EmbeddingSize, margin: (s.Margin ?? 0.5f) * (180f / MathF.PI), seed: s.Seed)),
        ("subcenter-arcface", "SubCenterArcFaceLoss, Deng et al. 2020 (3 sub-centres)", s => new SubCenterArcFaceLoss(s.NumClasses, s.EmbeddingSize, margin: (s.Margin ?? 0.5f) * (180f / MathF.PI), seed: s.Seed)),
        ("cosface", "CosFaceLoss, Wang et al. 2018 (s 64, margin default 0.35)", s => new CosFaceLoss(s.NumClasses, s.EmbeddingSize, margin: s.Margin ?? 0.35f, seed: s.Seed)),
        ("sphereface", "SphereFaceLoss, Liu et al. 2017 (m 4)", s => new SphereFaceLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("large-margin-softmax", "LargeMarginSoftmaxLoss, Liu et al. 2016 (m 4)", s => new LargeMarginSoftmaxLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("p2sgrad", "P2SGradLoss, Zhang et al. 2019", s => new P2SGradLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
        ("instance", "InstanceLoss, Zheng et al. 2020 (gamma 64)", _ => new InstanceLoss()),
        ("manifold", "ManifoldLoss, Aziere & Todorovic 2019 (one proxy per class, alpha 0.8, lambdaC 1)", s => new ManifoldLoss(s.NumClasses, s.EmbeddingSize, seed: s.Seed)),
    ];

    /// <summary>Miners by name; <see cref="NoMiner"/> maps to null.</summary>
    internal static IReadOnlyList<(string Name, string Description, Func<LossSettings, Miner?> Create)> Miners { get; } =
    [
        ("semihard", "TripletMarginMiner, semi-hard triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.SemiHard)),
        ("hard", "TripletMarginMiner, hard triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.Hard)),
        ("all", "TripletMarginMiner, all margin-violating triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.All)),
        ("batch-hard", "BatchHardMiner: hardest positive and negative per anchor", _ => new BatchHardMiner()),
        ("ms", "MultiSimilarityMiner, Wang et al. 2019 (epsilon default 0.1)", s => new MultiSimilarityMiner(s.MinerMargin ?? 0.1f)),
        ("pair-margin", "PairMarginMiner (positive margin 0.2, negative margin 0.8)", _ => new PairMarginMiner()),
        ("distance-weighted", "DistanceWeightedMiner, Wu et al. 2017", s => new DistanceWeightedMiner(seed: s.Seed)),
        ("hdc", "HdcMiner, Yuan et al. 2017 (hardest 50 %)", _ => new HdcMiner()),
        ("angular", "AngularMiner, Wang et al. 2017 (20 degrees)", _ => new AngularMiner(normalizeEmbeddings: true)),
        ("batch-easy-hard", "BatchEasyHardMiner, Xuan et al. 2020 (easy positives, semi-hard negatives)", _ => new BatchEasyHardMiner()),
        ("uniform-histogram", "UniformHistogramMiner", s => new UniformHistogramMiner(seed: s.Seed)),
        ("lifted", "LiftedStructureMiner: hardest negatives of both ends of each positive pair", _ => new LiftedStructureMiner()),
        (NoMiner, "no miner: the loss uses every valid tuple of the batch", _ => null),
    ];

    internal static string[] LossNames => [.. Losses.Select(l => l.Name)];

    internal static string[] MinerNames => [.. Miners.Select(m => m.Name)];

    internal static MetricLoss CreateLoss(string name, LossSettings settings) =>
        Losses.First(l => string.Equals(l.Name, name, StringComparison.Ordinal)).Create(settings);

    internal static Miner? CreateMiner(string name, LossSettings settings) =>
        Miners.First(m => string.Equals(m.Name, name, StringComparison.Ordinal)).Create(settings);
}

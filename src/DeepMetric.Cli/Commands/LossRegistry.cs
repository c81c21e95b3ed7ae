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
        ("triplet", "TripletMarginLoss (margin default 0.1)", s => new TripletMarginLoss(margin: s.Margin ?? 0.1f, seed: s.Seed)),
        ("contrastive", "ContrastiveLoss (negative margin default 1; positive margin 0)", s => new ContrastiveLoss(negMargin: s.Margin ?? 1f)),
    ];

    /// <summary>Miners by name; <see cref="NoMiner"/> maps to null.</summary>
    internal static IReadOnlyList<(string Name, string Description, Func<LossSettings, Miner?> Create)> Miners { get; } =
    [
        ("semihard", "TripletMarginMiner, semi-hard triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.SemiHard)),
        ("hard", "TripletMarginMiner, hard triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.Hard)),
        ("all", "TripletMarginMiner, all margin-violating triplets (margin default 0.2)", s => new TripletMarginMiner(s.MinerMargin ?? 0.2f, TripletKind.All)),
        ("batch-hard", "BatchHardMiner: hardest positive and negative per anchor", _ => new BatchHardMiner()),
        (NoMiner, "no miner: the loss uses every valid tuple of the batch", _ => null),
    ];

    internal static string[] LossNames => [.. Losses.Select(l => l.Name)];

    internal static string[] MinerNames => [.. Miners.Select(m => m.Name)];

    internal static MetricLoss CreateLoss(string name, LossSettings settings) =>
        Losses.First(l => string.Equals(l.Name, name, StringComparison.Ordinal)).Create(settings);

    internal static Miner? CreateMiner(string name, LossSettings settings) =>
        Miners.First(m => string.Equals(m.Name, name, StringComparison.Ordinal)).Create(settings);
}

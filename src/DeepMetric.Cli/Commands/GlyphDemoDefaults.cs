using System.CommandLine;
using DeepMetric.Miners;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// The recipe <c>train</c> uses on a glyph set when neither <c>--recipe</c> nor the option itself is given: the reference
/// CNN with multi-similarity loss and miner (Wang et al., "Multi-Similarity Loss with General Pair Weighting for Deep
/// Metric Learning", CVPR 2019), batches of 32 characters × 4 images, 5 epochs. Chosen on held-out training characters
/// (<c>--validation-fraction 0.25 --validation-holdout classes</c>, two seeds) among the MLP and CNN with ms, triplet
/// (semi-hard, batch-hard), SupCon and NT-Xent; the CNN with ms for 5 epochs had the best validation MAP@R.
/// </summary>
internal static class GlyphDemoDefaults
{
    internal const string Model = TrainCommand.Cnn;
    internal const string Loss = "ms";
    internal const string Miner = "ms";
    internal const int Epochs = 5;

    /// <summary>4 of each glyph set's 12 images per class in a batch: many classes per batch, several positives each.</summary>
    internal const int MPerClass = 4;

    /// <summary>True when the glyph defaults apply: the data is a glyph set and no recipe was named.</summary>
    internal static bool Apply(ParseResult parseResult, DataSourceOptions data, Option<string?> recipe) =>
        parseResult.GetValue(recipe) is null && data.Source(parseResult) == DataSourceOptions.GlyphsSource;

    /// <summary><paramref name="demoValue"/> when the defaults apply and <paramref name="option"/> was not given, else <paramref name="value"/>.</summary>
    internal static T Pick<T>(bool apply, ParseResult parseResult, Option<T> option, T value, T demoValue) =>
        apply && parseResult.GetResult(option) is null or { Implicit: true } ? demoValue : value;
}

using System.CommandLine;
using System.Globalization;
using DeepMetric.Data;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary><c>deepmetric data</c>: where the data is and how many images each class has in each split.</summary>
internal static class DataCommand
{
    internal const string Full = "full";
    internal const string OpenSet = "open-set";
    internal const string Seen = "seen";

    internal static Command Create(CliContext context)
    {
        var split = new Option<string>("--split")
        {
            Description = $"Which split to summarise: '{Full}' (all classes), '{OpenSet}' (train on classes 0-4, test on 5-9) or '{Seen}' (classes 0-4 on both sides)",
            DefaultValueFactory = _ => Full,
            HelpName = "kind",
        };
        split.AcceptOnlyFromAmong(Full, OpenSet, Seen);

        var command = new Command("data", "Print a summary of Fashion-MNIST (--data-dir, else the shipped subset): location, image size, pixel statistics and images per class. 'data glyphs' summarises the glyph set, the default data of train, eval and embed.");
        command.Add(split);
        command.Add(GlyphsDataCommand.Create(context));
        command.SetAction(parseResult => Run(context, parseResult, parseResult.GetValue(split) ?? Full));
        return command;
    }

    private static int Run(CliContext context, ParseResult parseResult, string split)
    {
        var location = context.Options.LocateData(parseResult);
        var all = FashionMnist.Load(location);
        var chosen = split switch
        {
            OpenSet => all.OpenSetSplit(),
            Seen => all.SeenClassesSplit(),
            _ => all,
        };

        var (mean, std) = DatasetSummary.PixelStatistics(chosen.Train);
        var console = context.Console;
        console.WriteLine($"Fashion-MNIST from {DatasetSummary.Describe(location)}");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"split {split}: images {string.Join('×', chosen.Train.ItemShape.ToArray())}, pixels in [0, 1], train mean {mean:F4}, std {std:F4}"));
        console.Write(DatasetSummary.ClassCounts(FashionMnist.ClassNames, ("train", chosen.Train), ("test", chosen.Test)));
        return CliApp.Success;
    }
}

using System.CommandLine;
using System.Globalization;
using DeepMetric.Tensors.Optim;
using DeepMetric.Training.Recipes;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary><c>deepmetric recipes</c>: lists the named training recipes (<see cref="Recipes.All"/>) as a table.</summary>
internal static class RecipesCommand
{
    internal static Command Create(CliContext context)
    {
        var command = new Command("recipes", "List the named training recipes usable with 'deepmetric train --recipe NAME' (prefix mlp-, cnn-, resnet- or pixel-residual- to pick the network).");
        command.SetAction(_ =>
        {
            var table = new Table().Border(TableBorder.Rounded);
            // Names never wrap (they are what users type); the details take the width that is left.
            table.AddColumn(new TableColumn("recipe").NoWrap());
            table.AddColumn("--loss / --miner · settings · description");
            foreach (var r in Recipes.All)
            {
                table.AddRow(
                    Markup.Escape(r.Name),
                    Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"{r.LossName} / {r.MinerName} · {Recipes.ModelName(r.Model)}, {r.BatchSize / r.MPerClass}×{r.MPerClass}, Adam {r.LearningRate:G}, d {r.EmbeddingSize}\n{r.Description}")));
            }
            context.Console.Write(table);
            context.Output.WriteLine("settings: network, batch (classes × images per class), Adam learning rate, embedding size (L2-normalised). 'train --recipe cnn-NAME' uses the CNN.");
            return CliApp.Success;
        });
        return command;
    }
}

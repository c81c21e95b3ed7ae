using System.CommandLine;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>train --recipe NAME</c>: the recipe supplies the defaults of the options it covers; an option given
/// explicitly on the command line still wins.
/// </summary>
internal static class RecipeDefaults
{
    /// <summary>Creates the <c>--recipe</c> option.</summary>
    internal static Option<string?> CreateOption()
    {
        var option = new Option<string?>("--recipe")
        {
            Description = "Named recipe setting the defaults of --model, --loss, --miner, --batch-size, --m-per-class, --lr and --embedding-size (see 'deepmetric recipes'; prefix mlp-, cnn-, resnet- or pixel-residual-)",
            HelpName = "name",
        };
        option.Validators.Add(result =>
        {
            var name = result.GetValueOrDefault<string?>();
            if (name is not null && Recipes.Find(name) is null)
            {
                result.AddError($"Unknown recipe '{name}'. Known: {string.Join(", ", Recipes.Names)} (optionally prefixed mlp-, cnn-, resnet- or pixel-residual-).");
            }
        });
        return option;
    }

    /// <summary>
    /// The option's value when given on the command line (or when no recipe is selected), else the value of the
    /// recipe that <paramref name="recipeOption"/> selects.
    /// </summary>
    internal static T Pick<T>(ParseResult parseResult, Option<T> option, Option<string?> recipeOption, Func<Recipe, T> fromRecipe)
    {
        var recipe = parseResult.GetValue(recipeOption) is { } name ? Recipes.Get(name) : null;
        var result = parseResult.GetResult(option);
        bool explicitlyGiven = result is not null && !result.Implicit;
        return recipe is null || explicitlyGiven ? parseResult.GetValue(option)! : fromRecipe(recipe);
    }
}

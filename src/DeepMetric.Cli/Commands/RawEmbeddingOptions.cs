using System.CommandLine;

namespace DeepMetric.Cli.Commands;

/// <summary>The <c>embed --data</c> option, which also takes an .npy file of preprocessed inputs besides the data sources.</summary>
internal static class RawEmbeddingOptions
{
    internal static Option<string> DataWithTensorFile()
    {
        var o = new Option<string>("--data")
        {
            Description = "Data source: 'fashion-mnist' (--data-dir), 'image-folder', 'csv' or 'npy' (--train/--test files), 'cub', 'cars196', 'sop' or 'inshop' (--data-dir); or an .npy file of preprocessed inputs [N, C, H, W] to run --backbone or --weights on (writes .npy)",
            DefaultValueFactory = _ => DataSourceOptions.FashionMnistSource,
            HelpName = "source",
        };
        o.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not (DataSourceOptions.FashionMnistSource or DataSourceOptions.ImageFolderSource or DataSourceOptions.CsvSource or DataSourceOptions.NpySource)
                && !DataSourceOptions.BenchmarkSources.Contains(value) && !value.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            {
                result.AddError($"--data must be 'fashion-mnist', 'image-folder', 'csv', 'npy', 'cub', 'cars196', 'sop', 'inshop' or an .npy file of preprocessed inputs [N, C, H, W], got '{value}'.");
            }
        });
        return o;
    }
}

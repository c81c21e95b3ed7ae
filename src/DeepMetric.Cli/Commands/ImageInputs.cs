using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// A folder of the user's images to embed with a trained model (<c>dedup</c>/<c>calibrate</c> <c>--images DIR</c>):
/// image files directly in the folder are read unlabelled (ids: file names); otherwise its class sub-folders give the
/// labels (ids: CLASS/FILE). Every file is checked before anything is embedded; images are fitted to the model's input
/// as image folders are for evaluation.
/// </summary>
internal static class ImageInputs
{
    /// <summary>The dataset, one id per item, and whether the items carry labels.</summary>
    internal static (ImageFolderDataset Data, string[] Ids, bool Labelled) Open(string folder, LoadedModel model, double? resizeRatio, string? normalize)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Image folder '{folder}' does not exist.");
        }
        if (model.InputChannels is not (1 or 3) || model.InputHeight < 2)
        {
            throw new UsageException($"The model '{model.WeightsPath}' takes {model.InputChannels}×{model.InputHeight}×{model.InputWidth} inputs, not images.");
        }
        var saved = ImagePreprocessing.Of(model);
        var transform = new ImagePreprocessing(ImagePreprocessing.CheckRatio(resizeRatio ?? saved.ResizeRatio), normalize ?? saved.Normalize)
            .Evaluation(model.InputWidth, model.InputHeight, model.InputChannels);
        var options = new ImageFolderDatasetOptions { ColorMode = model.InputChannels == 3 ? ImageColorMode.Rgb : ImageColorMode.Gray };
        var flat = Directory.GetFiles(folder).Where(ImageReader.HasImageExtension).ToArray();
        ImageFolderDataset data;
        string[] ids;
        bool labelled = flat.Length == 0;
        if (labelled)
        {
            var layout = ImageFolderLayout.Scan(folder);
            data = new ImageFolderDataset(layout.Paths, layout.Labels, layout.ClassNames, transform, null, options);
            ids = [.. layout.RelativePaths()];
        }
        else
        {
            Array.Sort(flat, StringComparer.Ordinal);
            data = new ImageFolderDataset(flat, new int[flat.Length], ["(unlabelled)"], transform, null, options);
            ids = [.. flat.Select(Path.GetFileName).Select(name => name!)];
        }
        var failures = data.CheckFiles();
        if (failures.Count > 0)
        {
            string more = failures.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" ({failures.Count - 1:N0} more bad file(s))") : "";
            throw new InvalidDataException(failures[0].Error.Message.TrimEnd('.') + "." + more);
        }
        return (data, ids, labelled);
    }
}

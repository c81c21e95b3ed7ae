using System.Globalization;
using DeepMetric.Data.Images;
using DeepMetric.Tensors.IO;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// How image files are fitted to a model's input (resize ratio, normalisation), saved in the model file's metadata by
/// <c>train</c> so <c>eval</c>, <c>embed</c>, <c>search --image</c>, <c>dedup --images</c> and <c>fewshot</c> read
/// images as the model was trained on them unless told otherwise.
/// </summary>
/// <param name="ResizeRatio">Evaluation fit: shorter side to R × the input size, then the centre (0: stretch).</param>
/// <param name="Normalize">"none" or "imagenet".</param>
internal sealed record ImagePreprocessing(double ResizeRatio, string Normalize)
{
    internal const string None = "none";
    internal const string ImageNet = "imagenet";
    private const string RatioKey = "image_resize_ratio";
    private const string NormalizeKey = "image_normalize";

    /// <summary>The defaults of a model that says nothing: ratio 1, no normalisation.</summary>
    internal static ImagePreprocessing Default { get; } = new(1.0, None);

    /// <summary>The settings saved in <paramref name="model"/>'s weights file, else the defaults.</summary>
    internal static ImagePreprocessing Of(LoadedModel? model)
    {
        if (model is null || !File.Exists(model.WeightsPath))
        {
            return Default;
        }
        var metadata = Safetensors.Load(model.WeightsPath).Metadata;
        double ratio = metadata.TryGetValue(RatioKey, out var r) && double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : Default.ResizeRatio;
        string normalize = metadata.TryGetValue(NormalizeKey, out var n) && n is ImageNet ? ImageNet : None;
        return new ImagePreprocessing(ratio, normalize);
    }

    /// <summary>Adds the settings to a model file's metadata.</summary>
    internal void WriteTo(Dictionary<string, string> metadata)
    {
        metadata[RatioKey] = ResizeRatio.ToString("R", CultureInfo.InvariantCulture);
        metadata[NormalizeKey] = Normalize;
    }

    /// <summary>The normalisation step for <paramref name="channels"/>-channel images, or null.</summary>
    internal Data.Images.Normalize? Step(int channels) =>
        Normalize == ImageNet ? (channels == 3 ? Data.Images.Normalize.ImageNet : Data.Images.Normalize.ImageNetGray) : null;

    /// <summary>The evaluation transform for a <paramref name="width"/>×<paramref name="height"/> input.</summary>
    internal ImageTransform Evaluation(int width, int height, int channels) =>
        ImageTransform.ForEvaluation(Options(width, height, channels));

    /// <summary>The transform settings for a <paramref name="width"/>×<paramref name="height"/> input.</summary>
    internal ImageTransformOptions Options(int width, int height, int channels) =>
        new() { Width = width, Height = height, ResizeRatio = ResizeRatio, Normalize = Step(channels) };

    /// <summary>Checks a ratio from the command line.</summary>
    internal static double CheckRatio(double ratio) =>
        ratio == 0 || (ratio >= 1 && double.IsFinite(ratio))
            ? ratio
            : throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--resize-ratio must be 0 or at least 1, got {ratio}."));
}

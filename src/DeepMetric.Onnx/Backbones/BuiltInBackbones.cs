namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// The pretrained backbones that work offline, and where their files are found: below the running tool's folder
/// (the CLI copies the package's <c>DnnImageModels</c> folder next to itself) or in the NuGet package cache
/// (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>).
/// </summary>
public static class BuiltInBackbones
{
    /// <summary>
    /// ResNet-18 (He et al., "Deep Residual Learning for Image Recognition", CVPR 2016) trained on ImageNet, as shipped
    /// by Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0: a CNTK export at opset 8 with a fixed batch of 1, whose
    /// output is the 512-d globally pooled feature map.
    /// </summary>
    public static BackboneInfo ResNet18ImageNet { get; } = new(
        Name: "resnet18-imagenet",
        Summary: "ResNet-18 trained on ImageNet (CNTK export, ONNX opset 8), pooled 512-d features",
        Convention: BackboneInputConvention.Bgr255MinusMeanImage,
        InputSizes: "square sides that are multiples of 32, at least 64 (64, 128, 224 ...); 224 is the training size",
        DefaultInputSize: 128,
        SizeMultiple: 32,
        MinInputSize: 64,
        OutputDimension: 512,
        Licence: "MIT",
        Source: "NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx)",
        PackageId: "Microsoft.ML.DnnImageFeaturizer.ResNet18",
        PackageVersion: "0.24.0",
        RelativePath: Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"),
        PreprocessRelativePath: Path.Combine("DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    /// <summary>Every built-in backbone.</summary>
    public static IReadOnlyList<BackboneInfo> All { get; } = [ResNet18ImageNet];

    /// <summary>The built-in backbone called <paramref name="name"/>, or null.</summary>
    public static BackboneInfo? Find(string name) =>
        All.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The folders searched for the files of <paramref name="backbone"/>, in order.</summary>
    public static IReadOnlyList<string> SearchFolders(BackboneInfo backbone)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var folders = new List<string> { AppContext.BaseDirectory };
        string? cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(cache))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            cache = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages");
        }
        if (cache is not null)
        {
            folders.Add(Path.Combine(cache, backbone.PackageId.ToLowerInvariant(), backbone.PackageVersion, "tools"));
        }
        return folders;
    }

    /// <summary>Path of the graph of <paramref name="backbone"/>, or null when it is in none of <see cref="SearchFolders"/>.</summary>
    public static string? Locate(BackboneInfo backbone) => Locate(backbone, backbone.RelativePath);

    /// <summary>Path of the preprocessing graph of <paramref name="backbone"/>, or null.</summary>
    public static string? LocatePreprocess(BackboneInfo backbone) =>
        backbone.PreprocessRelativePath is { } rel ? Locate(backbone, rel) : null;

    private static string? Locate(BackboneInfo backbone, string relative) =>
        SearchFolders(backbone).Select(f => Path.Combine(f, relative)).FirstOrDefault(File.Exists);
}

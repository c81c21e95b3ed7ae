using System.Reflection;

namespace DeepMetric.Onnx.Tests.TestUtil;

/// <summary>ResNet18.onnx and ResNetPreprocess.onnx from the restored Microsoft.ML.DnnImageFeaturizer.ResNet18 package.</summary>
internal static class ResNetFiles
{
    public static string? Folder => typeof(ResNetFiles).Assembly.GetCustomAttribute<ResNetModelPathAttribute>()?.Folder;

    public static string? ResNet18 => Find("ResNet18Onnx", "ResNet18.onnx");

    public static string? Preprocess => Find("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    private static string? Find(string dir, string file)
    {
        if (string.IsNullOrEmpty(Folder))
        {
            return null;
        }
        var path = Path.Combine(Folder, "tools", "DnnImageModels", dir, file);
        return File.Exists(path) ? path : null;
    }
}

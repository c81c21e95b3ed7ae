namespace DeepMetric.Onnx.Tests;

/// <summary>The restored folder of the package that ships ResNet18.onnx, written in by the build.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ResNetModelPathAttribute(string folder) : Attribute
{
    public string Folder { get; } = folder;
}

namespace DeepMetric.Onnx.Backbones;

/// <summary>A pretrained backbone the tool knows by name.</summary>
/// <param name="Name">Name to pass to <c>--backbone</c>.</param>
/// <param name="Summary">One line on what it is.</param>
/// <param name="Convention">The input pixels it expects.</param>
/// <param name="InputSizes">Which square input sides work.</param>
/// <param name="DefaultInputSize">Input side used when none is given.</param>
/// <param name="SizeMultiple">Input sides must be multiples of this (the network's total stride with explicit pads).</param>
/// <param name="MinInputSize">Smallest input side that runs.</param>
/// <param name="OutputDimension">Length of the pooled feature vector.</param>
/// <param name="Licence">Licence of the weights.</param>
/// <param name="Source">Where the file comes from.</param>
/// <param name="PackageId">NuGet package that ships it.</param>
/// <param name="PackageVersion">Its version.</param>
/// <param name="RelativePath">Path of the graph inside the package (and below the tool's folder).</param>
/// <param name="PreprocessRelativePath">Path of the package's preprocessing graph, if any.</param>
public sealed record BackboneInfo(
    string Name,
    string Summary,
    BackboneInputConvention Convention,
    string InputSizes,
    int DefaultInputSize,
    int SizeMultiple,
    int MinInputSize,
    int OutputDimension,
    string Licence,
    string Source,
    string PackageId,
    string PackageVersion,
    string RelativePath,
    string? PreprocessRelativePath);

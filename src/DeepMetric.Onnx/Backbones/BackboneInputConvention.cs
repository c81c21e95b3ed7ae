namespace DeepMetric.Onnx.Backbones;

/// <summary>How a backbone expects its input pixels (the pipeline converts images in [0, 1] to it).</summary>
public enum BackboneInputConvention
{
    /// <summary>
    /// BGR channel order, values 0–255, minus a mean image (the CNTK/ML.NET convention of ResNet18.onnx; the mean comes
    /// from the package's ResNetPreprocess.onnx and is resized to the input size).
    /// </summary>
    Bgr255MinusMeanImage,

    /// <summary>
    /// RGB in [0, 1] normalised with the ImageNet mean (0.485, 0.456, 0.406) and standard deviation (0.229, 0.224,
    /// 0.225), as torchvision and timm exports expect.
    /// </summary>
    ImageNetRgb,
}

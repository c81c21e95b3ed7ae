namespace DeepMetric.Data.Images;

/// <summary>Settings of the usual training/evaluation pair (<see cref="ImageTransform.ForTraining"/>, <see cref="ImageTransform.ForEvaluation"/>).</summary>
public sealed record ImageTransformOptions
{
    /// <summary>Output width (default 64).</summary>
    public int Width { get; init; } = 64;

    /// <summary>Output height (default 64).</summary>
    public int Height { get; init; } = 64;

    /// <summary>
    /// Evaluation: the shorter side is resized to this × the output size before the centre crop (default 8/7, the
    /// 256→224 of the ImageNet recipe); 0 resizes straight to the output size, not keeping the aspect ratio.
    /// </summary>
    public double ResizeRatio { get; init; } = 8.0 / 7.0;

    /// <summary>Training: a random resized crop (true, default) instead of the evaluation geometry.</summary>
    public bool RandomCrop { get; init; } = true;

    /// <summary>Training: the smallest share of the image area a random crop keeps (default 0.08, torchvision's; larger is gentler).</summary>
    public double MinCropScale { get; init; } = 0.08;

    /// <summary>Training: random horizontal flips (default true).</summary>
    public bool Flip { get; init; } = true;

    /// <summary>Training: colour jitter strength for brightness, contrast and saturation (default 0: off).</summary>
    public double Jitter { get; init; }

    /// <summary>The normalisation applied last (default none: values stay in [0, 1]); e.g. <see cref="Images.Normalize.ImageNet"/>.</summary>
    public Normalize? Normalize { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Width, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Height, nameof(Height));
        if (!(ResizeRatio == 0 || (ResizeRatio >= 1 && double.IsFinite(ResizeRatio))))
        {
            throw new ArgumentOutOfRangeException(nameof(ResizeRatio), ResizeRatio, "Expected 0 or a finite ratio ≥ 1.");
        }
        if (!(MinCropScale > 0 && MinCropScale <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MinCropScale), MinCropScale, "Expected a share in (0, 1].");
        }
        if (!(Jitter >= 0 && double.IsFinite(Jitter)))
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "Expected a finite strength ≥ 0.");
        }
    }
}

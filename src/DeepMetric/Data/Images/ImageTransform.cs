using DeepMetric.Tensors.Random;

namespace DeepMetric.Data.Images;

/// <summary>
/// A composed image transform: geometric steps (resize, crop, flip) that together decide one resampling of the
/// source (<see cref="SampleGrid"/>, <see cref="BoxResampler"/>), then pixel steps (colour jitter, normalisation) on
/// the planar float result. <see cref="ForTraining"/> and <see cref="ForEvaluation"/> build the usual pair.
/// </summary>
public sealed class ImageTransform
{
    private readonly IGeometricTransform[] _geometry;
    private readonly IPixelTransform[] _pixels;

    /// <summary>Creates a transform from its steps, applied in order.</summary>
    /// <exception cref="ArgumentException">A step is null.</exception>
    public ImageTransform(IReadOnlyList<IGeometricTransform> geometry, IReadOnlyList<IPixelTransform>? pixels = null)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        _geometry = [.. geometry];
        _pixels = [.. pixels ?? []];
        if (_geometry.Any(g => g is null) || _pixels.Any(p => p is null))
        {
            throw new ArgumentException("A transform step is null.", nameof(geometry));
        }
    }

    /// <summary>The geometric steps.</summary>
    public IReadOnlyList<IGeometricTransform> Geometry => _geometry;

    /// <summary>The pixel steps.</summary>
    public IReadOnlyList<IPixelTransform> PixelSteps => _pixels;

    /// <summary>
    /// The training transform of <paramref name="options"/>: a random resized crop to the output size (or, without
    /// <see cref="ImageTransformOptions.RandomCrop"/>, the evaluation geometry), a horizontal flip, colour jitter and
    /// the normalisation, each where the options ask for it.
    /// </summary>
    public static ImageTransform ForTraining(ImageTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var geometry = new List<IGeometricTransform>();
        if (options.RandomCrop)
        {
            geometry.Add(new RandomResizedCrop(options.Width, options.Height, options.MinCropScale, 1.0));
        }
        else
        {
            geometry.AddRange(EvaluationGeometry(options));
        }
        if (options.Flip)
        {
            geometry.Add(new RandomHorizontalFlip());
        }
        var pixels = new List<IPixelTransform>();
        if (options.Jitter > 0)
        {
            pixels.Add(new ColorJitter(options.Jitter, options.Jitter, options.Jitter));
        }
        if (options.Normalize is { } n)
        {
            pixels.Add(n);
        }
        return new ImageTransform(geometry, pixels);
    }

    /// <summary>
    /// The evaluation transform of <paramref name="options"/>: resize the shorter side to
    /// <see cref="ImageTransformOptions.ResizeRatio"/> × the output size and crop the centre (or, with a ratio of
    /// 0, resize to the output size directly), then the normalisation. Deterministic.
    /// </summary>
    public static ImageTransform ForEvaluation(ImageTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new ImageTransform(EvaluationGeometry(options), options.Normalize is { } n ? [n] : []);
    }

    /// <summary>
    /// The output size for a <paramref name="width"/>×<paramref name="height"/> source (random steps draw from a
    /// throw-away generator; they do not change the size they produce).
    /// </summary>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        var grid = SampleGrid.Whole(width, height);
        var random = new Prng(0);
        foreach (var step in _geometry)
        {
            step.Apply(ref grid, random);
        }
        return (grid.Width, grid.Height);
    }

    /// <summary>The output size when it is the same for every source size, else null (e.g. a lone <see cref="ResizeShorterSide"/>).</summary>
    public (int Width, int Height)? FixedOutputSize()
    {
        var a = OutputSize(640, 480);
        return a == OutputSize(480, 640) && a == OutputSize(37, 91) && a == OutputSize(1, 1) ? a : null;
    }

    /// <summary>Transforms <paramref name="source"/> into <paramref name="destination"/>, planar [channels, height, width].</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold exactly the output.</exception>
    public void Apply(PixelImage source, Span<float> destination, Prng random)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(random);
        var grid = SampleGrid.Whole(source.Width, source.Height);
        foreach (var step in _geometry)
        {
            step.Apply(ref grid, random);
        }
        BoxResampler.Resample(source, grid, destination);
        foreach (var step in _pixels)
        {
            step.Apply(destination, source.Channels, grid.Height, grid.Width, random);
        }
    }

    private static List<IGeometricTransform> EvaluationGeometry(ImageTransformOptions options)
    {
        if (options.ResizeRatio == 0)
        {
            return [new Resize(options.Width, options.Height)];
        }
        int shorter = (int)Math.Round(Math.Max(options.Width, options.Height) * options.ResizeRatio, MidpointRounding.ToEven);
        return [new ResizeShorterSide(shorter), new CenterCrop(options.Width, options.Height)];
    }
}

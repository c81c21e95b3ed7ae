namespace DeepMetric.Data.Images;

/// <summary>
/// Where the output pixels of the geometric transforms sample the source: a box in source pixel coordinates
/// (<see cref="X"/>, <see cref="Y"/>, <see cref="BoxWidth"/>, <see cref="BoxHeight"/>; pixel x covers [x, x+1)),
/// spread over <see cref="Width"/>×<see cref="Height"/> output pixels, optionally mirrored left to right.
/// Resizes and crops only move the box and change the output size, so a chain of them costs one resampling, and
/// it samples exactly where resizing and then cropping the resized image would.
/// </summary>
public struct SampleGrid
{
    /// <summary>Left edge of the box in source pixels.</summary>
    public double X;

    /// <summary>Top edge of the box in source pixels.</summary>
    public double Y;

    /// <summary>Width of the box in source pixels.</summary>
    public double BoxWidth;

    /// <summary>Height of the box in source pixels.</summary>
    public double BoxHeight;

    /// <summary>Output width in pixels.</summary>
    public int Width;

    /// <summary>Output height in pixels.</summary>
    public int Height;

    /// <summary>Whether the output is mirrored left to right.</summary>
    public bool Flip;

    /// <summary>The identity grid of a <paramref name="width"/>×<paramref name="height"/> source.</summary>
    public static SampleGrid Whole(int width, int height) => new()
    {
        BoxWidth = width,
        BoxHeight = height,
        Width = width,
        Height = height,
    };

    /// <summary>
    /// Keeps the output pixels [left, left+width) × [top, top+height) of the current output (as it would be seen,
    /// mirrored when <see cref="Flip"/> is set). Parts outside the source are zero after resampling (padding).
    /// </summary>
    public void Crop(int left, int top, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        double sx = BoxWidth / Width, sy = BoxHeight / Height;
        int unflippedLeft = Flip ? Width - left - width : left;
        X += unflippedLeft * sx;
        Y += top * sy;
        BoxWidth = width * sx;
        BoxHeight = height * sy;
        Width = width;
        Height = height;
    }

    /// <summary>Spreads the current box over <paramref name="width"/>×<paramref name="height"/> output pixels.</summary>
    public void Resize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
    }
}

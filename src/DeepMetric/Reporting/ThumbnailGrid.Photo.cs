using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Imaging;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Reporting;

public static partial class ThumbnailGrid
{
    /// <summary>Side of a photo thumbnail in pixels.</summary>
    public const int PhotoSize = 72;

    /// <summary>
    /// A square colour thumbnail of an image file: the shorter side resized to <paramref name="size"/> (averaging
    /// when shrinking) and the centre cropped, so photos of any size and aspect line up in a grid. Shown in colour
    /// even when the model reads grey.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a readable image.</exception>
    /// <exception cref="FileNotFoundException">The file has gone.</exception>
    public static RasterImage Photo(string path, int size = PhotoSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var image = ImageReader.Read(path, ImageColorMode.Rgb);
        var fit = new ImageTransform([new ResizeShorterSide(size), new CenterCrop(size)]);
        var planar = new float[3 * size * size];
        fit.Apply(image, planar, new Prng(0));
        return RasterImage.FromPlanar(planar, 3, size, size);
    }
}

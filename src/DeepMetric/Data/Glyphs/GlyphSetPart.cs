namespace DeepMetric.Data.Glyphs;

/// <summary>One side of a glyph set: grey images, their labels and the classes the labels index.</summary>
/// <param name="Images">Row-major [count, size, size] bytes, 0 = paper, 255 = ink.</param>
/// <param name="Labels">One label per image, indexing <paramref name="Classes"/>.</param>
/// <param name="Classes">The classes of this side, label order.</param>
public sealed record GlyphSetPart(byte[] Images, int[] Labels, IReadOnlyList<GlyphClass> Classes)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The images as a 1-channel dataset with intensities in [0, 1] and class names "Script U+XXXX".</summary>
    public ImageDataset ToImageDataset(int size)
    {
        var pixels = new float[Images.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = Images[i] / 255f;
        }
        return new ImageDataset(pixels, Labels, 1, size, size, Classes.Select(c => c.Name).ToArray());
    }
}

using DeepMetric.Tensors.Random;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DeepMetric.Cli.Tests.TestUtil;

/// <summary>A tiny image folder for backbone command tests, always the same bytes.</summary>
internal static class BarImageFolder
{
    /// <summary>
    /// Writes root/class&lt;c&gt;/&lt;i&gt;.png: 4 classes of 5 grey 28×28 images, class c a bright bar at its own place on
    /// noise, and returns <paramref name="root"/>.
    /// </summary>
    public static string Write(string root)
    {
        var rng = new Prng(3);
        for (int c = 0; c < 4; c++)
        {
            Directory.CreateDirectory(Path.Combine(root, $"class{c}"));
            for (int i = 0; i < 5; i++)
            {
                using var image = new Image<L8>(28, 28);
                for (int y = 0; y < 28; y++)
                {
                    for (int x = 0; x < 28; x++)
                    {
                        image[x, y] = new L8((byte)((x / 7 == c ? 200 : 40) + rng.NextInt(30)));
                    }
                }
                image.SaveAsPng(Path.Combine(root, $"class{c}", $"{i:D2}.png"), new PngEncoder());
            }
        }
        return root;
    }
}

namespace DeepMetric.Data;

/// <summary>The channels an image-folder dataset stores.</summary>
public enum ImageColorMode
{
    /// <summary>One grey channel; colour is converted with the ITU-R BT.601 luma weights 0.299 R + 0.587 G + 0.114 B.</summary>
    Gray,

    /// <summary>Three channels R, G, B; grey images are replicated into all three.</summary>
    Rgb,
}

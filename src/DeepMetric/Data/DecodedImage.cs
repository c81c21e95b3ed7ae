namespace DeepMetric.Data;

/// <summary>
/// One decoded image: samples scaled to [0, 1], interleaved row-major [<see cref="Height"/>, <see cref="Width"/>,
/// <see cref="Channels"/>]. Channels are 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA); palette images decode to RGB.
/// </summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Channels">Samples per pixel.</param>
/// <param name="Pixels">The samples, [Height, Width, Channels].</param>
public sealed record DecodedImage(int Width, int Height, int Channels, float[] Pixels);

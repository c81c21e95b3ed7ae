namespace DeepMetric.Data.Images;

/// <summary>
/// Resamples the box of a <see cref="SampleGrid"/> from 8-bit samples to planar floats in [0, 1] with a triangle
/// (bilinear) filter widened by the shrink factor, so shrinking averages every source pixel under the output pixel
/// instead of aliasing (the "antialiased bilinear" of PIL and torchvision). Along each axis, output pixel i has its
/// centre at c = start + (i + ½)·s in source coordinates (s = box / output length); source pixel j (centre j + ½)
/// gets the weight max(0, 1 − |j + ½ − c| / max(s, 1)); weights are renormalised over the pixels inside the
/// source, so borders clamp; an output pixel whose centre lies outside the source is 0 (padding). An unscaled,
/// pixel-aligned box copies the source (to float rounding). The two axes are separable: rows first, then columns.
/// </summary>
internal static class BoxResampler
{
    /// <summary>Writes the grid's output, planar [channels, grid.Height, grid.Width], into <paramref name="destination"/>.</summary>
    public static void Resample(PixelImage source, in SampleGrid grid, Span<float> destination)
    {
        int channels = source.Channels, outW = grid.Width, outH = grid.Height, srcW = source.Width;
        if (destination.Length != channels * outW * outH)
        {
            throw new ArgumentException($"Expected {channels}×{outH}×{outW} values, got {destination.Length}.", nameof(destination));
        }
        var columns = AxisWeights.Create(source.Width, grid.X, grid.BoxWidth, outW, 1.0 / 255);
        var rows = AxisWeights.Create(source.Height, grid.Y, grid.BoxHeight, outH, 1.0);
        int rowLo = rows.MinSource, rowCount = rows.MaxSource - rows.MinSource + 1;
        if (rowCount <= 0)
        {
            destination.Clear();
            return;
        }
        // Horizontal pass over the source rows any output row reads: [channel][row - rowLo][x].
        var horizontal = new float[channels * rowCount * outW];
        var src = source.Pixels;
        for (int r = 0; r < rowCount; r++)
        {
            var line = src.Slice((rowLo + r) * srcW * channels, srcW * channels);
            for (int x = 0; x < outW; x++)
            {
                int first = columns.First[x], count = columns.Count[x];
                var w = columns.Weights.AsSpan(x * columns.Stride, count);
                for (int c = 0; c < channels; c++)
                {
                    float sum = 0;
                    int s = (first * channels) + c;
                    for (int k = 0; k < count; k++, s += channels)
                    {
                        sum += w[k] * line[s];
                    }
                    horizontal[(((c * rowCount) + r) * outW) + x] = sum;
                }
            }
        }
        for (int c = 0; c < channels; c++)
        {
            var plane = destination.Slice(c * outW * outH, outW * outH);
            var hc = horizontal.AsSpan(c * rowCount * outW, rowCount * outW);
            for (int y = 0; y < outH; y++)
            {
                var outRow = plane.Slice(y * outW, outW);
                outRow.Clear();
                int first = rows.First[y] - rowLo, count = rows.Count[y];
                for (int k = 0; k < count; k++)
                {
                    float w = rows.Weights[(y * rows.Stride) + k];
                    var inRow = hc.Slice((first + k) * outW, outW);
                    for (int x = 0; x < outW; x++)
                    {
                        outRow[x] += w * inRow[x];
                    }
                }
                if (grid.Flip)
                {
                    outRow.Reverse();
                }
            }
        }
    }

    /// <summary>Filter taps along one axis: for each output pixel the first source pixel, the tap count and the weights.</summary>
    private sealed class AxisWeights
    {
        public required int[] First { get; init; }

        public required int[] Count { get; init; }

        public required float[] Weights { get; init; }

        public required int Stride { get; init; }

        public int MinSource { get; private set; } = int.MaxValue;

        public int MaxSource { get; private set; } = -1;

        public static AxisWeights Create(int sourceLength, double start, double boxLength, int outLength, double gain)
        {
            double scale = boxLength / outLength;
            double support = Math.Max(scale, 1.0);
            int stride = (int)Math.Ceiling(2 * support) + 2;
            var axis = new AxisWeights { First = new int[outLength], Count = new int[outLength], Weights = new float[outLength * stride], Stride = stride };
            var w = new double[stride];
            for (int i = 0; i < outLength; i++)
            {
                double centre = start + ((i + 0.5) * scale);
                if (centre < 0 || centre > sourceLength)
                {
                    continue;   // padding: no taps, the output stays 0
                }
                int lo = Math.Max(0, (int)Math.Floor(centre - support - 0.5));
                int hi = Math.Min(sourceLength - 1, (int)Math.Ceiling(centre + support - 0.5));
                double total = 0;
                int n = 0, first = -1;
                for (int j = lo; j <= hi; j++)
                {
                    double weight = 1 - (Math.Abs(j + 0.5 - centre) / support);
                    if (weight <= 0)
                    {
                        continue;
                    }
                    if (first < 0)
                    {
                        first = j;
                    }
                    // Taps are contiguous: a zero weight can only come before the first or after the last.
                    w[j - first] = weight;
                    n = j - first + 1;
                    total += weight;
                }
                if (n == 0)
                {
                    continue;
                }
                axis.First[i] = first;
                axis.Count[i] = n;
                for (int k = 0; k < n; k++)
                {
                    axis.Weights[(i * stride) + k] = (float)(w[k] / total * gain);
                }
                axis.MinSource = Math.Min(axis.MinSource, first);
                axis.MaxSource = Math.Max(axis.MaxSource, first + n - 1);
            }
            return axis;
        }
    }
}

using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// The pixel conversion in front of a backbone: images [N, C, h, w] with values in [0, 1] (C = 1 grey or 3 RGB) become
/// [N, 3, S, S] in the backbone's <see cref="BackboneInputConvention"/>. Grey images are repeated to three channels and
/// every image is resized bilinearly (half-pixel centres, as PyTorch's <c>interpolate(align_corners=False)</c>) to S×S.
/// </summary>
/// <remarks>Runs on data, not on parameters: it has no gradient and nothing to train.</remarks>
public sealed class BackbonePreprocess : Module
{
    private static readonly float[] s_imageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] s_imageNetStd = [0.229f, 0.224f, 0.225f];

    private readonly float[] _offset;   // [3, S, S], subtracted after scaling
    private readonly float[] _scale;    // per output channel
    private readonly int[] _sourceChannel;   // output channel c reads input RGB channel _sourceChannel[c]

    private BackbonePreprocess(int size, BackboneInputConvention convention, float[] offset, float[] scale, int[] sourceChannel)
    {
        Size = size;
        Convention = convention;
        _offset = offset;
        _scale = scale;
        _sourceChannel = sourceChannel;
    }

    /// <summary>Output side S.</summary>
    public int Size { get; }

    /// <summary>The convention of the output.</summary>
    public BackboneInputConvention Convention { get; }

    /// <summary>ImageNet mean/std normalisation of RGB in [0, 1] (torchvision's convention).</summary>
    /// <param name="size">Output side.</param>
    public static BackbonePreprocess ImageNet(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var offset = new float[3 * size * size];
        var scale = new float[3];
        for (int c = 0; c < 3; c++)
        {
            // (x − mean) / std = x·(1/std) − mean/std.
            scale[c] = 1f / s_imageNetStd[c];
            offset.AsSpan(c * size * size, size * size).Fill(s_imageNetMean[c] / s_imageNetStd[c]);
        }
        return new BackbonePreprocess(size, BackboneInputConvention.ImageNetRgb, offset, scale, [0, 1, 2]);
    }

    /// <summary>
    /// BGR 0–255 minus the mean image, read from a preprocessing graph that maps RGB 0–255 [1, 3, H, W] to the backbone's
    /// input (such as ResNetPreprocess.onnx: a channel reorder and a mean-image subtraction). The graph is probed rather
    /// than parsed: on a black image its output is minus the mean, and a unit in one input channel shows where that
    /// channel goes. The mean image is resized to <paramref name="size"/>.
    /// </summary>
    /// <param name="size">Output side.</param>
    /// <param name="preprocessGraph">The preprocessing graph.</param>
    public static BackbonePreprocess FromMeanImageGraph(int size, OnnxModule preprocessGraph)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentNullException.ThrowIfNull(preprocessGraph);
        var declared = preprocessGraph.DeclaredInputShape;
        if (declared.Length != 4 || declared[1] != 3 || declared[2] <= 0 || declared[3] <= 0)
        {
            throw new ArgumentException($"The preprocessing graph must take [N, 3, H, W] with fixed H and W; it declares [{string.Join(", ", declared)}].", nameof(preprocessGraph));
        }
        int h = declared[2], w = declared[3], plane = h * w;
        float[] Run(float[] input)
        {
            using (Tensor.NoGrad())
            {
                return preprocessGraph.Forward(Tensor.FromArray(input, 1, 3, h, w)).ToArray();
            }
        }
        var zero = Run(new float[3 * plane]);
        if (zero.Length != 3 * plane)
        {
            throw new ArgumentException("The preprocessing graph must output [1, 3, H, W].", nameof(preprocessGraph));
        }
        var source = new int[3];
        for (int c = 0; c < 3; c++)
        {
            var probe = new float[3 * plane];
            probe.AsSpan(c * plane, plane).Fill(100f);
            var shifted = Run(probe);
            int moved = Enumerable.Range(0, 3).Single(o => Math.Abs(shifted[o * plane] - zero[o * plane] - 100f) < 1e-2f);
            source[moved] = c;
        }
        var mean = new float[3 * plane];
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = -zero[i];
        }
        var offset = new float[3 * size * size];
        ResizePlanes(mean, 3, h, w, offset, size);
        return new BackbonePreprocess(size, BackboneInputConvention.Bgr255MinusMeanImage, offset, [255f, 255f, 255f], source);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is not [N, 1 or 3, h, w].</exception>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || (x.Dim(1) != 1 && x.Dim(1) != 3))
        {
            throw new ArgumentException($"The backbone takes images [N, 1 or 3, H, W] with values in [0, 1]; got [{string.Join(", ", x.Shape)}].", nameof(x));
        }
        int n = x.Dim(0), channels = x.Dim(1), h = x.Dim(2), w = x.Dim(3), s = Size, plane = s * s;
        var input = x.ReadOnlySpan;
        var output = new float[(long)n * 3 * plane];
        var resized = new float[channels * plane];
        for (int i = 0; i < n; i++)
        {
            ResizePlanes(input.Slice(i * channels * h * w, channels * h * w), channels, h, w, resized, s);
            for (int c = 0; c < 3; c++)
            {
                int from = channels == 1 ? 0 : _sourceChannel[c];
                var src = resized.AsSpan(from * plane, plane);
                var dst = output.AsSpan((i * 3 + c) * plane, plane);
                var off = _offset.AsSpan(c * plane, plane);
                float scale = _scale[c];
                for (int p = 0; p < plane; p++)
                {
                    dst[p] = (src[p] * scale) - off[p];
                }
            }
        }
        return Tensor.Wrap(output, n, 3, s, s);
    }

    // Bilinear resize of `channels` planes h×w to size×size with half-pixel centres (no antialiasing).
    private static void ResizePlanes(ReadOnlySpan<float> src, int channels, int h, int w, Span<float> dst, int size)
    {
        if (h == size && w == size)
        {
            src[..(channels * size * size)].CopyTo(dst);
            return;
        }
        Span<int> y0 = stackalloc int[size], y1 = stackalloc int[size], x0 = stackalloc int[size], x1 = stackalloc int[size];
        Span<float> fy = stackalloc float[size], fx = stackalloc float[size];
        Taps(h, size, y0, y1, fy);
        Taps(w, size, x0, x1, fx);
        for (int c = 0; c < channels; c++)
        {
            var plane = src.Slice(c * h * w, h * w);
            var outPlane = dst.Slice(c * size * size, size * size);
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    float top = (plane[(y0[y] * w) + x0[x]] * (1 - fx[x])) + (plane[(y0[y] * w) + x1[x]] * fx[x]);
                    float bottom = (plane[(y1[y] * w) + x0[x]] * (1 - fx[x])) + (plane[(y1[y] * w) + x1[x]] * fx[x]);
                    outPlane[(y * size) + x] = (top * (1 - fy[y])) + (bottom * fy[y]);
                }
            }
        }
    }

    private static void Taps(int inSize, int outSize, Span<int> lo, Span<int> hi, Span<float> frac)
    {
        double ratio = inSize / (double)outSize;
        for (int i = 0; i < outSize; i++)
        {
            double pos = Math.Max(((i + 0.5) * ratio) - 0.5, 0);
            int l = Math.Min((int)pos, inSize - 1);
            lo[i] = l;
            hi[i] = Math.Min(l + 1, inSize - 1);
            frac[i] = (float)(pos - l);
        }
    }
}

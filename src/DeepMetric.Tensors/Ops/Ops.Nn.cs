using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors;

// Signatures of the neural-network ops; their implementations land in their own files.
public static partial class Ops
{
    /// <summary>2-D convolution (cross-correlation). x: [N, C, H, W]; weight: [O, C, kh, kw]; bias: [O].</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1) =>
        throw new NotImplementedException();

    /// <summary>Max pooling over kernel×kernel windows (stride defaults to the kernel size). x: [N, C, H, W].</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) => throw new NotImplementedException();

    /// <summary>Average pooling over kernel×kernel windows (stride defaults to the kernel size). x: [N, C, H, W].</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) => throw new NotImplementedException();

    /// <summary>Mean over the spatial dimensions: [N, C, H, W] → [N, C].</summary>
    public static Tensor GlobalAvgPool2d(Tensor x) => throw new NotImplementedException();

    /// <summary>
    /// Batch normalisation (Ioffe &amp; Szegedy, 2015) over [N, C] or [N, C, H, W]. In training, batch statistics are
    /// used and the running statistics updated in place with <paramref name="momentum"/>; in evaluation the running ones.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f) => throw new NotImplementedException();

    /// <summary>Layer normalisation (Ba et al., 2016) over the last dimension.</summary>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-5f) => throw new NotImplementedException();

    /// <summary>Inverted dropout: in training zeroes each element with probability p and scales the rest by 1/(1−p).</summary>
    public static Tensor Dropout(Tensor x, float p, bool training, Prng rng) => throw new NotImplementedException();

    /// <summary>Rows of <paramref name="weight"/> ([V, D]) at <paramref name="indices"/>: [len, D].</summary>
    public static Tensor Embedding(Tensor weight, int[] indices) => throw new NotImplementedException();
}

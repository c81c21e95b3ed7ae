namespace DeepMetric.Tensors.Nn;

/// <summary>Maximum pooling over kernel×kernel windows of [N, C, H, W] inputs.</summary>
public sealed class MaxPool2d : Pool2dBase
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernel">Window side length (≥ 1).</param>
    /// <param name="stride">Step between windows (≥ 1); null uses the kernel size.</param>
    /// <param name="padding">Padding on each side (≥ 0, at most half the kernel).</param>
    public MaxPool2d(int kernel, int? stride = null, int padding = 0) : base(kernel, stride, padding) { }

    private protected override Tensor Pool(Tensor x) => Ops.MaxPool2d(x, Kernel, Stride, Padding);
}

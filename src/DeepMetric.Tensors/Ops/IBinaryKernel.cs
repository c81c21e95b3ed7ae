namespace DeepMetric.Tensors;

/// <summary>A SIMD elementwise binary operation in its three span forms (tensor∘tensor, tensor∘scalar, scalar∘tensor).</summary>
internal interface IBinaryKernel
{
    static abstract void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d);

    static abstract void Run(ReadOnlySpan<float> x, float y, Span<float> d);

    static abstract void Run(float x, ReadOnlySpan<float> y, Span<float> d);
}

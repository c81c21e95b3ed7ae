using System.Numerics.Tensors;

namespace DeepMetric.Tensors;

/// <summary>The binary kernels, each a thin wrapper over <see cref="TensorPrimitives"/>.</summary>
internal static class BinaryKernels
{
    internal readonly struct Add : IBinaryKernel
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(x, y, d);

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Add(x, y, d);

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Add(y, x, d);
    }

    internal readonly struct Sub : IBinaryKernel
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Subtract(x, y, d);
    }

    internal readonly struct Mul : IBinaryKernel
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Multiply(x, y, d);

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Multiply(y, x, d);
    }

    internal readonly struct Div : IBinaryKernel
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Divide(x, y, d);

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    }

    internal readonly struct Max : IBinaryKernel
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(x, y, d);

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Max(x, y, d);

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Max(y, x, d);
    }

    internal readonly struct Min : IBinaryKernel
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(x, y, d);

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Min(x, y, d);

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Min(y, x, d);
    }
}

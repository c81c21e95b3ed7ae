using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepMetric.Tensors;

/// <summary>Comparison kernels writing 1f where the comparison holds and 0f elsewhere.</summary>
internal static class CompareKernels
{
    internal readonly struct Eq : IComparison
    {
        public static bool Scalar(float x, float y) => x == y;

        public static Vector<int> Vector(Vector<float> x, Vector<float> y) => System.Numerics.Vector.Equals(x, y);
    }

    internal readonly struct Ne : IComparison
    {
        public static bool Scalar(float x, float y) => x != y;

        public static Vector<int> Vector(Vector<float> x, Vector<float> y) => ~System.Numerics.Vector.Equals(x, y);
    }

    internal readonly struct Gt : IComparison
    {
        public static bool Scalar(float x, float y) => x > y;

        public static Vector<int> Vector(Vector<float> x, Vector<float> y) => System.Numerics.Vector.GreaterThan(x, y);
    }

    internal readonly struct Ge : IComparison
    {
        public static bool Scalar(float x, float y) => x >= y;

        public static Vector<int> Vector(Vector<float> x, Vector<float> y) => System.Numerics.Vector.GreaterThanOrEqual(x, y);
    }

    internal readonly struct Lt : IComparison
    {
        public static bool Scalar(float x, float y) => x < y;

        public static Vector<int> Vector(Vector<float> x, Vector<float> y) => System.Numerics.Vector.LessThan(x, y);
    }

    internal readonly struct Le : IComparison
    {
        public static bool Scalar(float x, float y) => x <= y;

        public static Vector<int> Vector(Vector<float> x, Vector<float> y) => System.Numerics.Vector.LessThanOrEqual(x, y);
    }

    /// <summary>Adapts a comparison to <see cref="IBinaryKernel"/> so <see cref="Broadcast.Apply{TKernel}"/> can drive it.</summary>
    internal readonly struct Kernel<TCompare> : IBinaryKernel
        where TCompare : IComparison
    {
        public static void Run(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d)
        {
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
                var yv = MemoryMarshal.Cast<float, Vector<float>>(y);
                var dv = MemoryMarshal.Cast<float, Vector<float>>(d);
                for (int v = 0; v < dv.Length; v++)
                {
                    dv[v] = System.Numerics.Vector.ConditionalSelect(TCompare.Vector(xv[v], yv[v]), Vector<float>.One, Vector<float>.Zero);
                }
                i = dv.Length * Vector<float>.Count;
            }
            for (; i < d.Length; i++)
            {
                d[i] = TCompare.Scalar(x[i], y[i]) ? 1f : 0f;
            }
        }

        public static void Run(ReadOnlySpan<float> x, float y, Span<float> d)
        {
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
                var dv = MemoryMarshal.Cast<float, Vector<float>>(d);
                var yv = new Vector<float>(y);
                for (int v = 0; v < dv.Length; v++)
                {
                    dv[v] = System.Numerics.Vector.ConditionalSelect(TCompare.Vector(xv[v], yv), Vector<float>.One, Vector<float>.Zero);
                }
                i = dv.Length * Vector<float>.Count;
            }
            for (; i < d.Length; i++)
            {
                d[i] = TCompare.Scalar(x[i], y) ? 1f : 0f;
            }
        }

        public static void Run(float x, ReadOnlySpan<float> y, Span<float> d)
        {
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                var yv = MemoryMarshal.Cast<float, Vector<float>>(y);
                var dv = MemoryMarshal.Cast<float, Vector<float>>(d);
                var xv = new Vector<float>(x);
                for (int v = 0; v < dv.Length; v++)
                {
                    dv[v] = System.Numerics.Vector.ConditionalSelect(TCompare.Vector(xv, yv[v]), Vector<float>.One, Vector<float>.Zero);
                }
                i = dv.Length * Vector<float>.Count;
            }
            for (; i < d.Length; i++)
            {
                d[i] = TCompare.Scalar(x, y[i]) ? 1f : 0f;
            }
        }
    }
}

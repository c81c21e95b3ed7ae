using System.Numerics;

namespace DeepMetric.Tensors;

/// <summary>An elementwise float comparison in scalar and SIMD form (IEEE semantics: NaN compares unequal to everything).</summary>
internal interface IComparison
{
    static abstract bool Scalar(float x, float y);

    /// <summary>All bits set in lanes where the comparison holds.</summary>
    static abstract Vector<int> Vector(Vector<float> x, Vector<float> y);
}

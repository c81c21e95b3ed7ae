using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class ErfTests
{
    [Fact]
    public void Matches_tabulated_values_and_finite_differences()
    {
        // Abramowitz & Stegun table 7.1.
        var y = Ops.Erf(Tensor.FromArray([0f, 0.5f, 1f, -2f], 4)).ToArray();
        Assertions.AllClose(new double[] { 0, 0.5204998778, 0.8427007929, -0.9953222650 }, y, 1e-6, 1e-6);
        GradCheck.Check(t => Ops.Erf(t[0]), [GradCheck.Random(3, [3, 4], -2f, 2f)]);
    }
}

namespace DeepMetric.Tensors.Tests.TestUtil;

public static class Assertions
{
    public const double FloatTol = 1e-5;

    public static void Close(double expected, double actual, double absTol = FloatTol, double relTol = 1e-5, string? what = null)
    {
        double tol = absTol + (relTol * Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol || (double.IsNaN(expected) && double.IsNaN(actual)) || expected == actual,
            $"{what ?? "value"}: expected {expected:G9}, got {actual:G9} (tol {tol:G3}).");
    }

    public static void AllClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double absTol = FloatTol, double relTol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Close(expected[i], actual[i], absTol, relTol, $"element {i}");
        }
    }

    public static void AllClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absTol = FloatTol, double relTol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Close(expected[i], actual[i], absTol, relTol, $"element {i}");
        }
    }

    public static void AllFinite(ReadOnlySpan<float> values, string what = "values")
    {
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(float.IsFinite(values[i]), $"{what}[{i}] = {values[i]} is not finite.");
        }
    }
}

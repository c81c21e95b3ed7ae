namespace DeepMetric.Onnx.Tests;

/// <summary>A measurement that runs only when the environment variable it names is set (it says where to read or write); skipped otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute(string variable)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Skip = $"a measurement (minutes of forward passes): set {variable} to run it.";
        }
    }
}

namespace DeepMetric.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void EngineIsReachable() => Assert.Equal(6f, DeepMetric.Tensors.Tensor.Ones(2, 3).Sum().Item());
}

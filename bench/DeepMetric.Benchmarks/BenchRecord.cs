namespace DeepMetric.Benchmarks;

/// <summary>One measured figure, printed by the quick mode as one JSON object per line.</summary>
public sealed record BenchRecord(string Name, double Value, string Unit);

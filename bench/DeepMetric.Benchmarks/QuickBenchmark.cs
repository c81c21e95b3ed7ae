namespace DeepMetric.Benchmarks;

/// <summary>A named quick benchmark: running it yields one or more records.</summary>
public sealed record QuickBenchmark(string Name, Func<IEnumerable<BenchRecord>> Run);

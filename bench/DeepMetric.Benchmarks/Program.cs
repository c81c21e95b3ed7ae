using BenchmarkDotNet.Running;
using DeepMetric.Benchmarks;

// --quick [filter]: Stopwatch mode, one JSON record per line, well under a minute.
// Anything else goes to BenchmarkDotNet (e.g. --filter *Gemm*).
if (args.Length > 0 && args[0] == "--quick")
{
    string? filter = args.Length > 1 ? args[1] : null;
    int ran = QuickRegistry.Run(filter, Console.Out);
    if (ran == 0)
    {
        Console.Error.WriteLine($"No quick benchmark matches '{filter}'. Known: {string.Join(", ", QuickRegistry.All.Select(b => b.Name))}.");
        return 1;
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRegistry).Assembly).Run(args);
return 0;

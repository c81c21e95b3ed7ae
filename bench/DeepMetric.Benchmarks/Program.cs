using BenchmarkDotNet.Running;
using DeepMetric.Benchmarks;

// --quick [filter]: Stopwatch mode, one JSON record per line, well under a minute.
// train --recipe NAME --epochs N: a training recipe on Fashion-MNIST 0–4 → 5–9 (see Training/RecipeTraining.cs).
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
if (args.Length > 0 && args[0] == "train")
{
    return DeepMetric.Benchmarks.Training.RecipeTraining.Run(args, Console.Out);
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRegistry).Assembly).Run(args);
return 0;

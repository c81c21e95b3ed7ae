using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using DeepMetric.Data;
using DeepMetric.Tensors;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary><c>deepmetric info</c>: version, runtime, matrix-product backend and where the data is.</summary>
internal static class InfoCommand
{
    internal static Command Create(CliContext context)
    {
        var command = new Command("info", "Show the version, the BLAS backend in use and where the data was found.");
        command.SetAction(parseResult => Run(context, parseResult));
        return command;
    }

    private static int Run(CliContext context, ParseResult parseResult)
    {
        // Plain lines, not a Spectre grid: long values (paths) must not wrap at the 80 columns of redirected output.
        void Row(string key, string value) => context.Output.WriteLine($"{key,-9}{value}");

        Row("version", Version());
        Row("runtime", $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}, {Environment.ProcessorCount} CPUs)");
        Row("BLAS", Blas());

        var location = context.Options.LocateData(parseResult);
        var data = FashionMnist.Load(location);
        Row("data", DatasetSummary.Describe(location));
        Row("train", DatasetSummary.Describe(data.Train));
        Row("test", DatasetSummary.Describe(data.Test));

        context.Output.WriteLine();
        context.Console.Write(DatasetSummary.ClassCounts(FashionMnist.ClassNames, ("train", data.Train), ("test", data.Test)));
        return CliApp.Success;
    }

    internal static string Version()
    {
        var assembly = typeof(InfoCommand).Assembly;
        return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
    }

    private static string Blas()
    {
        var env = Environment.GetEnvironmentVariable("DEEPMETRIC_BLAS");
        var why = env is null ? "" : $", DEEPMETRIC_BLAS={env}";
        // Gemm.Backend throws InvalidOperationException for a bad DEEPMETRIC_BLAS value; the CLI reports it.
        return Gemm.Backend switch
        {
            GemmBackend.OpenBlas => $"OpenBLAS ({Gemm.NativeLibraryName}, {Gemm.NativeCoreName ?? "unknown"} kernels{why})",
            _ => Gemm.OpenBlasAvailable
                ? $"managed SIMD kernel (OpenBLAS {Gemm.NativeLibraryName} available but not used{why})"
                : $"managed SIMD kernel (OpenBLAS not found: install libopenblas0-pthread{why})",
        };
    }
}

namespace DeepMetric.Cli.Tests.TestUtil;

/// <summary>Runs the CLI in-process for the command tests and checks its error output.</summary>
internal static class CliRunner
{
    /// <summary>The shipped Fashion-MNIST subset, copied next to the CLI and from there next to this assembly.</summary>
    public static string Subset { get; } = Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");

    /// <summary>Runs <c>deepmetric</c> with <paramref name="args"/>; returns the exit code and what it wrote to stdout and stderr.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts stderr is one "deepmetric: error: " line containing every one of <paramref name="expected"/>.</summary>
    public static void AssertOneLineError(string err, params string[] expected)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("deepmetric: error: ", lines[0], StringComparison.Ordinal);
        foreach (var e in expected)
        {
            Assert.Contains(e, lines[0], StringComparison.Ordinal);
        }
    }
}

using System.Text.Json;
using DeepMetric.Tensors;

namespace DeepMetric.Benchmarks;

/// <summary>
/// The quick (Stopwatch) benchmarks: a name and a function producing records. To add one, write a static
/// method returning <see cref="BenchRecord"/>s and add a line to <see cref="All"/>.
/// </summary>
public static class QuickRegistry
{
    /// <summary>Every quick benchmark, in the order they run.</summary>
    public static IReadOnlyList<QuickBenchmark> All { get; } =
    [
        new("gemm", Gemm.GemmQuick.Run),
        new("mlp", Training.TrainStepQuick.RunMlp),
        new("cnn", Training.TrainStepQuick.RunCnn),
        new("layers", Training.LayerQuick.Run),
        new("stepprofile", Training.TrainStepProfile.Run),
        new("winostages", Training.WinogradStagesQuick.Run),
        new("f4bwdstages", Training.WinogradF4BackwardStagesQuick.Run),
        new("poolops", Training.PoolQuick.Run),
        new("ann", Search.AnnQuick.Run),
        new("dedup", Search.DedupQuick.Run),
        new("eval", Evaluation.EvalQuick.Run),
        new("decode", Images.DecodeQuick.Run),
        new("csv", Data.CsvQuick.Run),
        new("imagetrain", Images.ImageTrainQuick.Run),
        new("resnet18", Onnx.ResNet18Quick.Run),
        new("r18convs", Training.ResNetConvQuick.Run),
        new("onnximport", Onnx.OnnxImportQuick.Run),
        new("winoerr", Onnx.WinogradErrorQuick.Run),
        new("wino43", Training.WinogradF4Quick.Run),
    ];

    /// <summary>Runs the benchmarks whose name contains <paramref name="filter"/> (all when null), printing each record as it is produced.</summary>
    public static int Run(string? filter, TextWriter output)
    {
        int ran = 0;
        foreach (var bench in All)
        {
            if (filter is not null && !bench.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            ran++;
            foreach (var record in bench.Run())
            {
                output.WriteLine(ToJson(record));
                output.Flush();
            }
        }
        return ran;
    }

    /// <summary>The record as a one-line JSON object: <c>{"name":…,"value":…,"unit":…}</c>.</summary>
    public static string ToJson(BenchRecord record)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("name", record.Name);
            if (double.IsFinite(record.Value))
            {
                w.WriteNumber("value", Math.Round(record.Value, 3));
            }
            else
            {
                // JSON has no NaN or infinity: an undefined figure is null, not a crash.
                w.WriteNull("value");
            }
            w.WriteString("unit", record.Unit);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

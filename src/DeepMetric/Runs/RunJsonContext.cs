using System.Text.Json.Serialization;

namespace DeepMetric.Runs;

/// <summary>Source-generated (reflection-free, trimming-safe) JSON for the run-directory files.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RunConfig))]
[JsonSerializable(typeof(RunBaseline))]
internal sealed partial class RunJsonContext : JsonSerializerContext;

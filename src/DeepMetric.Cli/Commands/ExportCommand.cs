using System.CommandLine;
using System.Globalization;
using DeepMetric.Onnx.Export;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric export</c>: writes trained weights as an ONNX model (opset 17, dynamic batch) whose
/// metadata_props record the embedding size, distance and input preprocessing.
/// </summary>
internal static class ExportCommand
{
    internal static Command Create(CliContext context)
    {
        var weights = new Option<FileInfo>("--weights") { Description = "Saved weights (model.safetensors of a 'train --run-dir' run)", HelpName = "file", Required = true };
        var model = new Option<string?>("--model") { Description = "Network of the weights (default: from the file or config.json)", HelpName = "name" };
        model.AcceptOnlyFromAmong(ModelLoader.Mlp, ModelLoader.Cnn, ModelLoader.ResNet, ModelLoader.PixelResidual);
        var embeddingSize = new Option<int?>("--embedding-size") { Description = "Embedding dimension (default: from the file or config.json)", HelpName = "n" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "ONNX file to write", HelpName = "file", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing output file" };
        var command = new Command("export", "Write trained weights as an ONNX model (opset 17, dynamic batch) for ONNX Runtime and other tools.")
        {
            weights, model, embeddingSize, output, force,
        };
        command.SetAction(parseResult => Run(context, parseResult.GetValue(weights)!.FullName, parseResult.GetValue(model),
            parseResult.GetValue(embeddingSize), parseResult.GetValue(output)!.FullName, parseResult.GetValue(force)));
        return command;
    }

    private static int Run(CliContext context, string weightsPath, string? modelName, int? embeddingSize, string outputPath, bool force)
    {
        if (embeddingSize is <= 0)
        {
            throw new UsageException($"--embedding-size must be positive, got {embeddingSize}.");
        }
        if (!force && File.Exists(outputPath))
        {
            throw new UsageException($"'{outputPath}' already exists; pass --force to replace it.");
        }
        var loaded = ModelLoader.Load(weightsPath, modelName, embeddingSize);
        loaded.Model.Eval();
        string inv(int v) => v.ToString(CultureInfo.InvariantCulture);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["deepmetric.model_kind"] = loaded.Kind,
            ["deepmetric.embedding_size"] = inv(loaded.EmbeddingSize),
            ["deepmetric.distance"] = loaded.Normalized ? "cosine" : "l2",
            ["deepmetric.normalized"] = loaded.Normalized ? "l2" : "none",
            ["deepmetric.input_shape"] = $"batch,{inv(loaded.InputChannels)},{inv(loaded.InputHeight)},{inv(loaded.InputWidth)}",
            ["deepmetric.input_preprocessing"] = loaded.InputChannels == 3
                ? "float32 NCHW, RGB, pixel values divided by 255 (range 0-1), no mean/std normalisation"
                : "float32 NCHW, grey (1 channel), pixel values divided by 255 (range 0-1), no mean/std normalisation",
            ["deepmetric.source_weights"] = Path.GetFileName(loaded.WeightsPath),
        };
        try
        {
            OnnxExporter.Export(loaded.Model, outputPath, new OnnxExportOptions(loaded.InputChannels, loaded.InputHeight, loaded.InputWidth)
            {
                Metadata = metadata,
                Overwrite = force,
            });
        }
        catch (NotSupportedException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{outputPath}: ONNX opset {OnnxExporter.Opset}, input [batch, {loaded.InputChannels}, {loaded.InputHeight}, {loaded.InputWidth}], {loaded.EmbeddingSize}-d {(loaded.Normalized ? "L2-normalised " : "")}embeddings ({loaded.Kind})"));
        return CliApp.Success;
    }
}

using System.Diagnostics;
using System.Globalization;
using DeepMetric.Onnx;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric embed --data X.npy</c>: runs an imported ONNX graph as it is (<c>--backbone FILE.onnx</c>) or a
/// trained model (<c>--weights W</c>, the same tensor its exported ONNX takes) on preprocessed inputs [N, C, H, W] and
/// writes the outputs as .npy. Useful for checking imports against other runtimes.
/// </summary>
internal static class RawEmbedding
{
    private const int BatchSize = 32;

    /// <summary>True when <c>--data</c> names an .npy tensor file rather than a data source.</summary>
    internal static bool Applies(string? data, string? backbone) =>
        backbone is not null || (data is not null && data.EndsWith(".npy", StringComparison.OrdinalIgnoreCase));

    internal static int Run(CliContext context, string? backbonePath, string? weightsPath, string? modelName, int? embeddingSize, string? dataPath, string outputPath)
    {
        if ((backbonePath is null) == (weightsPath is null))
        {
            throw new UsageException("embed --data X.npy needs exactly one of --backbone FILE.onnx and --weights W.");
        }
        if (dataPath is null || !dataPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--backbone needs --data X.npy (preprocessed inputs [N, C, H, W]), got '{dataPath ?? "(none)"}'.");
        }
        if (!outputPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"--output must be an .npy file for --data X.npy, got '{outputPath}'.");
        }
        var (values, shape) = NpyTensorFile.Read(dataPath);
        if (shape.Length < 1 || shape[0] < 1)
        {
            throw new InvalidDataException($"'{dataPath}' holds shape ({string.Join(", ", shape)}); expected [N, C, H, W] with N ≥ 1.");
        }
        long t0 = Stopwatch.GetTimestamp();
        Module model;
        string what;
        if (backbonePath is not null)
        {
            OnnxModule onnx;
            try
            {
                onnx = OnnxModule.FromFile(backbonePath);
            }
            catch (OnnxImportException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
            var declared = onnx.DeclaredInputShape;
            if (declared.Length > 0 && (declared.Length != shape.Length || (declared.Length > 1 && declared[1] > 0 && declared[1] != shape[1])))
            {
                throw new InvalidDataException($"'{dataPath}' has shape ({string.Join(", ", shape)}) but '{backbonePath}' takes [{string.Join(", ", declared.Select((d, i) => i == 0 ? "N" : d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}].");
            }
            model = onnx;
            what = $"{Path.GetFileName(backbonePath)} ({onnx.NodeCount} nodes, opset {onnx.Opset})";
        }
        else
        {
            var loaded = ModelLoader.Load(weightsPath!, modelName, embeddingSize);
            int[] expected = [loaded.InputChannels, loaded.InputHeight, loaded.InputWidth];
            if (shape.Length != 4 || !shape.AsSpan(1).SequenceEqual(expected))
            {
                throw new InvalidDataException($"'{dataPath}' has shape ({string.Join(", ", shape)}) but the {loaded.Kind} model takes [N, {string.Join(", ", expected)}].");
            }
            model = loaded.Model;
            what = $"{loaded.Kind} model";
        }
        model.Eval();
        var (outputs, outShape) = RunBatches(model, values, shape);
        NpyTensorFile.Write(outputPath, outputs, outShape);
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{outputPath}: outputs [{string.Join(", ", outShape)}] of {what} on {shape[0]:N0} inputs in {seconds:F2} s"));
        return CliApp.Success;
    }

    private static (float[] Values, int[] Shape) RunBatches(Module model, float[] values, int[] shape)
    {
        int n = shape[0], per = values.Length / n;
        float[]? result = null;
        int[]? outShape = null;
        using (Tensor.NoGrad())
        {
            for (int start = 0; start < n; start += BatchSize)
            {
                int count = Math.Min(BatchSize, n - start);
                int[] batchShape = [count, .. shape[1..]];
                Tensor y;
                try
                {
                    y = model.Forward(Tensor.FromArray(values[(start * per)..((start + count) * per)], batchShape));
                }
                catch (ArgumentException e)
                {
                    throw new InvalidDataException(e.Message, e);
                }
                int outPer = y.Size / count;
                result ??= new float[(long)n * outPer];
                outShape ??= [n, .. y.Shape[1..]];
                y.ReadOnlySpan.CopyTo(result.AsSpan(start * outPer, count * outPer));
            }
        }
        return (result!, outShape!);
    }
}

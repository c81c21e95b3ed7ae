using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors.Nn;
using DeepMetric.Training;
using Google.Protobuf;

namespace DeepMetric.Onnx.Export;

/// <summary>
/// Writes a network as an ONNX model (opset 17, input [batch, C, H, W] with a symbolic batch) that ONNX Runtime and
/// other ONNX tools run. Covers the engine's layers used by DeepMetric's models — Linear, Conv2d, activations,
/// pooling, batch and layer norm, Flatten, L2Normalize, Sequential, Residual, random projections, an
/// <see cref="EmbeddingModel"/>'s trunk and embedder — and imported <see cref="OnnxModule"/> graphs (re-emitted at
/// opset 17 with their current weights). The network is exported as in evaluation mode: batch norms use their
/// running statistics and dropout is the identity.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The opset of the default domain that exported files import.</summary>
    public const int Opset = 17;

    /// <summary>Exports <paramref name="model"/> to <paramref name="path"/> (written atomically).</summary>
    /// <exception cref="NotSupportedException">The network contains a layer the exporter does not know; the message names it.</exception>
    /// <exception cref="IOException">The file exists and <see cref="OnnxExportOptions.Overwrite"/> is false.</exception>
    public static void Export(Module model, string path, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Overwrite && File.Exists(path))
        {
            throw new IOException($"'{path}' already exists; choose another output or allow overwriting.");
        }
        var bytes = ToBytes(model, options);
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: options.Overwrite);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>The serialized ONNX model of <paramref name="model"/>.</summary>
    public static byte[] ToBytes(Module model, OnnxExportOptions options) => Build(model, options).ToByteArray();

    // The output shape from one forward pass on a zero image (batch symbolic), in evaluation mode.
    private static object?[] OutputDims(Module model, OnnxExportOptions options)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using (Tensors.Tensor.NoGrad())
            {
                var y = model.Forward(Tensors.Tensor.Zeros(1, options.Channels, options.Height, options.Width));
                return ["batch", .. y.Shape.Skip(1).Cast<object?>()];
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    internal static ModelProto Build(Module model, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Width);
        var emitter = new GraphEmitter();
        var graph = emitter.Graph;
        graph.Name = "deepmetric";
        graph.Input.Add(GraphEmitter.ValueInfo(options.InputName, ["batch", options.Channels, options.Height, options.Width]));
        var y = emitter.Emit(model, options.InputName);
        emitter.Rename(y, options.OutputName);
        graph.Output.Add(GraphEmitter.ValueInfo(options.OutputName, OutputDims(model, options)));
        var m = new ModelProto { IrVersion = 8, ProducerName = "DeepMetric", ProducerVersion = "0.1", Graph = graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (k, v) in options.Metadata)
        {
            m.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        }
        return m;
    }
}

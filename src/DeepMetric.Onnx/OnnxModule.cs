using System.Diagnostics;
using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Onnx;

/// <summary>
/// An ONNX graph imported as a trainable <see cref="Module"/>: its float weights are parameters (trainable,
/// freezable with <see cref="SetTrainable"/>, saved and loaded as safetensors like any module's), batch-norm
/// statistics are buffers, and every node runs on engine ops with autograd. Static parts of the graph (shape
/// arithmetic on constants) are folded at import.
/// </summary>
/// <remarks>
/// Supports the default ONNX domain at opsets 7–18 with the ops common image backbones export (convolutions
/// including grouped and depthwise ones, batch norm, pooling, activations, broadcasting arithmetic, matmul/Gemm,
/// softmax, layer norm and the shape ops). Batch norms always use their stored statistics. A file exported with a
/// fixed batch (often 1) still runs any batch: reshapes whose target starts with that batch follow the actual one.
/// Where nothing needs a gradient (inference, frozen layers), each Conv → BatchNormalization [→ Add] [→ Relu] chain runs
/// as one convolution that applies the batch norm, the residual and the ReLU to its output rows while they are in
/// cache: the same values as the nodes one by one, with the weights, saved state and export untouched.
/// </remarks>
public sealed class OnnxModule : Module
{
    private readonly List<CompiledNode> _nodes;
    private readonly List<CompiledNode> _fusedPlan;
    private readonly Dictionary<string, OnnxValue> _constants;
    private readonly Dictionary<string, Tensor> _weights;
    private readonly int[] _declaredInput;
    private readonly string _source;

    internal OnnxModule(string source, ModelProto model, List<CompiledNode> nodes, Dictionary<string, OnnxValue> constants,
        List<(string OnnxName, Tensor Value, bool IsBuffer)> weights, string inputName, int[] declaredInput, string outputName, int opset)
    {
        _source = source;
        Model = model;
        _nodes = nodes;
        _fusedPlan = ConvBatchNormFusion.Plan(nodes, outputName, opset);
        _constants = constants;
        _declaredInput = declaredInput;
        InputName = inputName;
        OutputName = outputName;
        Opset = opset;
        _weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (onnxName, value, isBuffer) in weights)
        {
            string name = ModuleName(onnxName, used);
            names[onnxName] = name;
            _weights[onnxName] = isBuffer ? RegisterBuffer(name, value) : RegisterParameter(name, value);
        }
        ParameterNames = names;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in model.MetadataProps)
        {
            meta[p.Key] = p.Value;
        }
        Metadata = meta;
    }

    /// <summary>The graph input this module feeds.</summary>
    public string InputName { get; }

    /// <summary>The graph output <see cref="Forward"/> returns.</summary>
    public string OutputName { get; }

    /// <summary>The input shape the file declares; −1 marks a symbolic dimension.</summary>
    public int[] DeclaredInputShape => (int[])_declaredInput.Clone();

    /// <summary>Opset of the default ONNX domain.</summary>
    public int Opset { get; }

    /// <summary>The file's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Module name (no dots) of each imported weight, by its ONNX initializer name.</summary>
    public IReadOnlyDictionary<string, string> ParameterNames { get; }

    /// <summary>Number of nodes run per forward pass (after constant folding).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>The parsed model (export re-emits its nodes with the current weights).</summary>
    internal ModelProto Model { get; }

    /// <summary>Current values of the weights by ONNX initializer name.</summary>
    internal IReadOnlyDictionary<string, Tensor> Weights => _weights;

    /// <summary>Values folded at import, by ONNX name.</summary>
    internal IReadOnlyDictionary<string, OnnxValue> Constants => _constants;

    internal IReadOnlyList<CompiledNode> Nodes => _nodes;

    /// <summary>
    /// When true (the default), Conv → BatchNormalization [→ Add] [→ Relu] chains run as one convolution with a fused
    /// output pass whenever none of their inputs needs a gradient (<see cref="ConvBatchNormFusion"/>; the same values).
    /// False runs every node on its own, for comparisons.
    /// </summary>
    internal bool FuseInference { get; set; } = true;

    /// <summary>Profiling hook (benchmarks): receives each node's op, description and wall seconds after it ran.</summary>
    internal Action<string, string, double>? NodeTimer { get; set; }

    /// <summary>Number of nodes the fused plan runs.</summary>
    internal int FusedNodeCount => _fusedPlan.Count;

    /// <summary>Reads an ONNX file.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <exception cref="OnnxImportException">The file is not a readable ONNX model, or uses something not supported;
    /// the message names the file and, for graph problems, the node, op and attribute.</exception>
    public static OnnxModule FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"Cannot read the ONNX file '{path}': {e.Message}", e);
        }
        return OnnxGraphLoader.Load(bytes, path);
    }

    /// <summary>Makes every imported weight trainable or frozen (no gradient).</summary>
    /// <returns>This module.</returns>
    public OnnxModule SetTrainable(bool trainable)
    {
        foreach (var p in Parameters())
        {
            p.RequiresGrad = trainable;
        }
        return this;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input's rank or channel count differs from the file's declaration.</exception>
    /// <exception cref="InvalidOperationException">A node failed; the message names it, and hints at the input size when it differs from the declared one.</exception>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckInput(x);
        var run = new RunContext(_declaredInput.Length > 0 && _declaredInput[0] > 0 ? _declaredInput[0] : null, x.Rank > 0 ? x.Dim(0) : 1);
        var env = new Dictionary<string, OnnxValue>(_constants, StringComparer.Ordinal);
        foreach (var (name, t) in _weights)
        {
            env[name] = OnnxValue.Of(t);
        }
        env[InputName] = OnnxValue.Of(x);
        foreach (var node in FuseInference ? _fusedPlan : _nodes)
        {
            var inputs = new OnnxValue?[node.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = node.Inputs[i].Length == 0 ? null : env[node.Inputs[i]];
            }
            OnnxValue[] outputs;
            long started = NodeTimer is null ? 0 : Stopwatch.GetTimestamp();
            try
            {
                outputs = node.Kernel(inputs, run);
            }
            catch (OnnxImportException e)
            {
                throw new InvalidOperationException($"ONNX model '{_source}': {e.Message}{SizeHint(x)}", e);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                throw new InvalidOperationException($"ONNX model '{_source}', {node.Where} failed on inputs {string.Join(", ", inputs.Select(v => v?.ToString() ?? "-"))}: {e.Message}{SizeHint(x)}", e);
            }
            NodeTimer?.Invoke(node.Proto.OpType, node.Where, Stopwatch.GetElapsedTime(started).TotalSeconds);
            for (int i = 0; i < node.Outputs.Length && i < outputs.Length; i++)
            {
                if (node.Outputs[i].Length > 0)
                {
                    env[node.Outputs[i]] = outputs[i];
                }
            }
            foreach (var dead in node.LastUse)
            {
                env.Remove(dead);
            }
        }
        if (!env.TryGetValue(OutputName, out var y))
        {
            throw new InvalidOperationException($"ONNX model '{_source}': the output '{OutputName}' was not computed.");
        }
        return y.AsTensor();
    }

    /// <summary>Runs the graph on a zero input of <paramref name="shape"/> without gradients, to check it fits.</summary>
    /// <returns>The output shape.</returns>
    public int[] OutputShapeFor(params int[] shape)
    {
        using (Tensor.NoGrad())
        {
            return Forward(Tensor.Zeros(shape)).Shape;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"OnnxModule('{Path.GetFileName(_source)}', opset {Opset}, {_nodes.Count} nodes, input {InputName} [{string.Join(", ", _declaredInput)}])";

    private void CheckInput(Tensor x)
    {
        if (_declaredInput.Length == 0)
        {
            return;
        }
        if (x.Rank != _declaredInput.Length)
        {
            throw new ArgumentException($"ONNX model '{_source}' expects input '{InputName}' of rank {_declaredInput.Length} ([{string.Join(", ", _declaredInput)}]), got [{string.Join(", ", x.Shape)}].", nameof(x));
        }
        if (x.Rank >= 2 && _declaredInput[1] > 0 && x.Dim(1) != _declaredInput[1])
        {
            throw new ArgumentException($"ONNX model '{_source}' expects {_declaredInput[1]} channels on axis 1 of input '{InputName}' ([{string.Join(", ", _declaredInput)}]), got [{string.Join(", ", x.Shape)}].", nameof(x));
        }
    }

    private string SizeHint(Tensor x)
    {
        for (int i = 2; i < _declaredInput.Length && i < x.Rank; i++)
        {
            if (_declaredInput[i] > 0 && _declaredInput[i] != x.Dim(i))
            {
                return $" The file declares input [{string.Join(", ", _declaredInput)}] and was given [{string.Join(", ", x.Shape)}]: explicit pads and fixed pooling windows in a graph fit only some input sizes (for a stride-32 network such as ResNet18.onnx: sides that are multiples of 32 and large enough for its last pooling window).";
            }
        }
        return "";
    }

    private static string ModuleName(string onnxName, HashSet<string> used)
    {
        string baseName = onnxName.Length == 0 ? "weight" : onnxName.Replace('.', '_');
        string name = baseName;
        for (int k = 1; !used.Add(name); k++)
        {
            name = $"{baseName}_{k}";
        }
        Debug.Assert(!name.Contains('.', StringComparison.Ordinal));
        return name;
    }
}

using DeepMetric.Onnx.Export;
using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Proto;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

/// <summary>Exported files run in ONNX Runtime give our embeddings.</summary>
public sealed class ExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-onnx-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Trained-looking batch-norm statistics, so eval-mode normalisation is really exercised.
    private static void Perturb(Module m, ulong seed)
    {
        var rng = new Prng(seed);
        foreach (var (name, b) in m.NamedBuffers())
        {
            var v = Tensor.Rand(rng, b.Shape, name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f : -0.3f, name.EndsWith("running_var", StringComparison.Ordinal) ? 2f : 0.3f);
            if (!name.EndsWith("matrix", StringComparison.Ordinal))
            {
                v.ReadOnlySpan.CopyTo(b.Span);
            }
        }
    }

    private double CompareWithOrt(EmbeddingModel model, int c, int h, int w, int batch, string what)
    {
        model.Eval();
        var options = new OnnxExportOptions(c, h, w) { Metadata = new Dictionary<string, string> { ["deepmetric.embedding_size"] = "16" } };
        var bytes = OnnxExporter.ToBytes(model, options);
        var x = Tensor.Rand(new Prng(7), [batch, c, h, w], 0f, 1f);
        var ours = model.Embed(x);
        var (ort, dims) = Oracle.RunOrt(bytes, x.ToArray(), [batch, c, h, w], "input");
        double rel = Oracle.Compare(ours.ToArray(), ours.Shape, ort, dims, what: $"export {what}");
        output.WriteLine($"{what}: exported model vs ours, max relative error {rel:G3}");
        return rel;
    }

    [Fact]
    public void Mlp_exports() => CompareWithOrt(Models.Mlp(16, seed: 1), 1, 28, 28, 5, "mlp");

    [Fact]
    public void Cnn_exports() => CompareWithOrt(Models.Cnn(16, seed: 2), 1, 28, 28, 3, "cnn");

    [Fact]
    public void Residual_cnn_with_batchnorm_exports()
    {
        var model = Models.ResNet(16, seed: 3, channels: 3, height: 16);
        Perturb(model, 4);
        CompareWithOrt(model, 3, 16, 16, 4, "resnet");
    }

    [Fact]
    public void Pixel_residual_exports() => CompareWithOrt(Models.PixelResidual(16, seed: 5), 1, 28, 28, 3, "pixel-residual");

    [Fact]
    public void Other_layers_export()
    {
        var trunk = new Sequential(new Conv2d(2, 4, 3, stride: 2, padding: 1, dilation: 1), new LeakyReLU(0.1f), new AvgPool2d(2), new Flatten(),
            new LayerNorm(16), new GELU(), new Dropout(0.5f), new Linear(16, 6, bias: false), new Sigmoid(), new Tanh(), new Softplus(), new BatchNorm1d(6));
        var model = new EmbeddingModel(trunk, new Sequential(new Linear(6, 5), new L2Normalize()));
        Perturb(model, 6);
        CompareWithOrt(model, 2, 8, 8, 3, "other layers");
    }

    [Fact]
    public void Imported_resnet18_with_a_head_exports_with_a_dynamic_batch()
    {
        var path = ResNetFiles.ResNet18 ?? throw new InvalidOperationException("ResNet18.onnx was not found in the restored package folder.");
        var backbone = OnnxModule.FromFile(path);
        var model = new EmbeddingModel(new Sequential(backbone, new Flatten()), new Sequential(new Linear(512, 16, rng: new Prng(1)), new L2Normalize()));
        model.Eval();
        var file = Path.Combine(_dir, "resnet.onnx");
        OnnxExporter.Export(model, file, new OnnxExportOptions(3, 224, 224) { Metadata = new Dictionary<string, string> { ["deepmetric.distance"] = "cosine" } });
        var x = Tensor.Rand(new Prng(2), [2, 3, 224, 224], -120f, 130f);
        var ours = model.Embed(x);
        using var session = new InferenceSession(file);
        Assert.Equal("cosine", session.ModelMetadata.CustomMetadataMap["deepmetric.distance"]);
        var (ort, dims) = Oracle.RunOrt(session, x.ToArray(), [2, 3, 224, 224], "input");
        double rel = Oracle.Compare(ours.ToArray(), ours.Shape, ort, dims);
        output.WriteLine($"ResNet18.onnx + head exported at opset 17: max relative error {rel:G3}");
        var e = Assert.Throws<IOException>(() => OnnxExporter.Export(model, file, new OnnxExportOptions(3, 224, 224)));
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Old_opset_forms_are_upgraded_to_opset_17()
    {
        var g = new GraphBuilder(8, 1, 3, 6, 6);
        var c = g.Node("Clip", ["x"], A("min", -0.5f), A("max", 0.8f));
        var p = g.Node("Pad", [c], A("pads", 0L, 0L, 1L, 0L, 0L, 0L, 0L, 1L), A("value", 0.1f));
        var s = g.Node("Slice", [p], A("starts", new long[] { 1 }), A("ends", new long[] { 6 }), A("axes", new long[] { 3 }));
        var parts = g.Nodes("Split", [s], 2, A("axis", 1L), A("split", 1L, 2L));
        var cat = g.Node("Concat", [parts[1], parts[0]], A("axis", 1L));
        var sm = g.Node("Softmax", [cat], A("axis", 2L));
        var r = g.Node("Reshape", [sm, g.InitInts([1, 3, 35, 1], 4)]);
        var sq = g.Node("Squeeze", [r], A("axes", new long[] { 3 }));
        var un = g.Node("Unsqueeze", [sq], A("axes", new long[] { 1 }));
        var bn = g.Node("BatchNormalization", [c, g.Random(1, 3), g.Random(2, 3), g.Random(3, 3), g.Init([1f, 2f, 3f], 3)], A("spatial", 1L));
        var gp = g.Node("GlobalAveragePool", [bn]);
        var flat = g.Node("Reshape", [gp, g.InitInts([1, 3], 2)]);
        var flat2 = g.Node("Reshape", [un, g.InitInts([1, 105], 2)]);
        g.Output(g.Node("Concat", [flat, flat2], A("axis", 1L)));
        var imported = OnnxGraphLoader.Load(g.Bytes(), "old.onnx");
        var model = new EmbeddingModel(imported, new Identity());
        var bytes = OnnxExporter.ToBytes(model, new OnnxExportOptions(3, 6, 6));
        Assert.Equal(17, ModelProto.Parser.ParseFrom(bytes).OpsetImport[0].Version);
        var x = Tensor.Rand(new Prng(3), [3, 3, 6, 6], -1f, 1f);
        var ours = model.Embed(x);
        var (ort, dims) = Oracle.RunOrt(bytes, x.ToArray(), [3, 3, 6, 6], "input");
        Oracle.Compare(ours.ToArray(), ours.Shape, ort, dims);
        var (orig, _) = Oracle.RunOrt(g.Bytes(), x.ToArray()[..108], [1, 3, 6, 6]);
        Oracle.Compare(ours.ToArray()[..108], [1, 108], orig, [1, 108]);
    }

    [Fact]
    public void An_unknown_layer_is_named()
    {
        var model = new EmbeddingModel(new Embedding(10, 4), new Identity());
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.ToBytes(model, new OnnxExportOptions(1, 1, 1)));
        Assert.Contains("Embedding", e.Message, StringComparison.Ordinal);
    }
}

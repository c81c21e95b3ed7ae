using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Proto;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using Google.Protobuf;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

public sealed class ImportBehaviourTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GraphBuilder SmallCnn(int batch = -1)
    {
        var g = new GraphBuilder(13, batch, 2, 6, 6);
        var c = g.Node("Conv", ["x", g.Random(1, 3, 2, 3, 3), g.Random(2, 3)], A("pads", 1L, 1L, 1L, 1L));
        var bn = g.Node("BatchNormalization", [c, g.Random(3, 3), g.Random(4, 3), g.Random(5, 3), g.Init([0.5f, 1f, 2f], 3)]);
        var r = g.Node("Relu", [bn]);
        var p = g.Node("GlobalAveragePool", [r]);
        var f = g.Node("Flatten", [p]);
        g.Output(g.Node("Gemm", [f, g.Random(6, 4, 3), g.Random(7, 4)], A("transB", 1L)));
        return g;
    }

    [Fact]
    public void Gradients_of_an_imported_graph_match_finite_differences()
    {
        var module = OnnxGraphLoader.Load(SmallCnn().Bytes(), "cnn.onnx");
        var x = Tensor.Rand(new Prng(3), [2, 2, 6, 6], -1f, 1f);
        x.RequiresGrad = true;
        var r = Tensor.Rand(new Prng(4), [2, 4], 0.5f, 1.5f);
        Ops.Sum(module.Forward(x) * r).Backward();
        double Objective()
        {
            using (Tensor.NoGrad())
            {
                var y = module.Forward(x).ToArray();
                var rr = r.ToArray();
                return y.Select((v, i) => (double)v * rr[i]).Sum();
            }
        }
        var checkedTensors = new List<Tensor> { x };
        checkedTensors.AddRange(module.Parameters());
        Assert.Equal(6, module.Parameters().Count()); // conv w, b; bn scale, shift; gemm w, b
        foreach (var t in checkedTensors)
        {
            var analytic = t.Grad!.ToArray();
            for (int i = 0; i < t.Size; i += Math.Max(1, t.Size / 12))
            {
                float orig = t.Span[i];
                t.Span[i] = orig + 1e-2f;
                double plus = Objective();
                t.Span[i] = orig - 1e-2f;
                double minus = Objective();
                t.Span[i] = orig;
                double numeric = (plus - minus) / 2e-2;
                Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 + (2e-2 * Math.Abs(numeric)), $"element {i} of a {string.Join("x", t.Shape)} tensor: analytic {analytic[i]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void A_fixed_batch_1_file_runs_other_batches_through_its_reshapes()
    {
        var g = new GraphBuilder(13, 1, 2, 3, 3);
        var r = g.Node("Reshape", ["x", g.InitInts([1, 18], 2)]);
        g.Output(g.Node("MatMul", [r, g.Random(1, 18, 4)]));
        var module = OnnxGraphLoader.Load(g.Bytes(), "fixed.onnx");
        var x = Tensor.Rand(new Prng(1), [3, 2, 3, 3], -1f, 1f);
        Tensor y;
        using (Tensor.NoGrad())
        {
            y = module.Forward(x);
        }
        Assert.Equal([3, 4], y.Shape);
        var bytes = g.Bytes();
        for (int i = 0; i < 3; i++)
        {
            var (ort, dims) = Oracle.RunOrt(bytes, x.ToArray()[(i * 18)..((i + 1) * 18)], [1, 2, 3, 3]);
            Oracle.Compare(y.ToArray()[(i * 4)..((i + 1) * 4)], [1, 4], ort, dims);
        }
    }

    [Fact]
    public void Weights_save_as_safetensors_and_load_back()
    {
        var a = OnnxGraphLoader.Load(SmallCnn().Bytes(), "a.onnx");
        foreach (var p in a.Parameters())
        {
            p.Span[0] += 1f;
        }
        var path = Path.Combine(_dir, "w.safetensors");
        a.Save(path);
        var b = OnnxGraphLoader.Load(SmallCnn().Bytes(), "b.onnx");
        b.Load(path);
        var x = Tensor.Rand(new Prng(9), [1, 2, 6, 6], -1f, 1f);
        using (Tensor.NoGrad())
        {
            Assert.Equal(a.Forward(x).ToArray(), b.Forward(x).ToArray());
        }
    }

    [Fact]
    public void A_truncated_file_is_rejected_naming_it()
    {
        var bytes = SmallCnn().Bytes();
        var path = Path.Combine(_dir, "cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxModule.FromFile(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_onnx_file_is_rejected_naming_it()
    {
        var path = Path.Combine(_dir, "not.onnx");
        File.WriteAllText(path, "hello, this is text and not a protobuf model");
        var e = Assert.Throws<OnnxImportException>(() => OnnxModule.FromFile(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        var empty = Path.Combine(_dir, "empty.onnx");
        File.WriteAllBytes(empty, []);
        Assert.Contains(empty, Assert.Throws<OnnxImportException>(() => OnnxModule.FromFile(empty)).Message, StringComparison.Ordinal);
        Assert.Throws<OnnxImportException>(() => OnnxModule.FromFile(Path.Combine(_dir, "missing.onnx")));
    }

    [Fact]
    public void An_unknown_op_is_named_with_its_node()
    {
        var g = new GraphBuilder(13, -1, 3);
        g.Output(g.Node("Hardmax", ["x"]));
        var e = Assert.Throws<OnnxImportException>(() => OnnxGraphLoader.Load(g.Bytes(), "m.onnx"));
        Assert.Contains("Hardmax_0", e.Message, StringComparison.Ordinal);
        Assert.Contains("'Hardmax' is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_attribute_is_named_with_node_and_op()
    {
        var g = new GraphBuilder(13, -1, 3);
        g.Output(g.Node("Relu", ["x"], A("fancy", 1L)));
        var e = Assert.Throws<OnnxImportException>(() => OnnxGraphLoader.Load(g.Bytes(), "m.onnx"));
        Assert.Contains("node 'Relu_0' (Relu): attribute 'fancy' is not supported", e.Message, StringComparison.Ordinal);
        var p = new GraphBuilder(13, -1, 3, 4);
        p.Output(p.Node("Pad", ["x", p.InitInts([0, 1, 0, 1], 4)], A("mode", "reflect")));
        var e2 = Assert.Throws<OnnxImportException>(() => OnnxGraphLoader.Load(p.Bytes(), "m.onnx"));
        Assert.Contains("attribute 'mode'", e2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_op_used_before_its_opset_is_refused()
    {
        var g = new GraphBuilder(13, -1, 3);
        g.Output(g.Node("HardSwish", ["x"]));
        var e = Assert.Throws<OnnxImportException>(() => OnnxGraphLoader.Load(g.Bytes(), "m.onnx"));
        Assert.Contains("added in opset 14", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_and_unsupported_opsets_are_refused()
    {
        var g = new GraphBuilder(13, -1, 3);
        var w = g.Init([1f, 2f, 3f], 3);
        g.Output(g.Node("Add", ["x", w]));
        var model = g.Model();
        var t = model.Graph.Initializer[0];
        t.FloatData.Clear();
        t.DataLocation = TensorProto.Types.DataLocation.External;
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var e = Assert.Throws<OnnxImportException>(() => OnnxGraphLoader.Load(model.ToByteArray(), "ext.onnx"));
        Assert.Contains("external", e.Message, StringComparison.Ordinal);
        var old = new GraphBuilder(6, -1, 3);
        old.Output(old.Node("Relu", ["x"]));
        Assert.Contains("opset 6", Assert.Throws<OnnxImportException>(() => OnnxGraphLoader.Load(old.Bytes(), "old.onnx")).Message, StringComparison.Ordinal);
    }
}

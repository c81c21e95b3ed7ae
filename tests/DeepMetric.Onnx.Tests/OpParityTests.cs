using DeepMetric.Onnx.Proto;
using DeepMetric.Onnx.Tests.TestUtil;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

/// <summary>One small graph per op and attribute combination, run by us and by ONNX Runtime (the oracle).</summary>
public sealed class OpParityTests
{
    private static double Unary(string op, int opset = 13, params AttributeProto[] attrs)
    {
        var g = new GraphBuilder(opset, -1, 3, 4, 5);
        g.Output(g.Node(op, ["x"], attrs));
        return Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Theory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("Erf")]
    [InlineData("Tanh")]
    [InlineData("Identity")]
    [InlineData("HardSwish", 14)]
    public void Elementwise(string op, int opset = 13) => Unary(op, opset);

    [Fact]
    public void HardSigmoid_with_custom_alpha_beta() => Unary("HardSigmoid", 13, A("alpha", 0.3f), A("beta", 0.4f));

    [Fact]
    public void LeakyRelu_alpha() => Unary("LeakyRelu", 13, A("alpha", 0.2f));

    [Fact]
    public void Clip_attributes_opset_7() => Unary("Clip", 7, A("min", -0.5f), A("max", 0.7f));

    [Fact]
    public void Clip_inputs_opset_13()
    {
        var g = new GraphBuilder(13, -1, 3, 4, 5);
        g.Output(g.Node("Clip", ["x", g.Init([-0.5f], []), g.Init([6f], [])]));
        Oracle.Check(g, [2, 3, 4, 5], lo: -8, hi: 8);
    }

    [Fact]
    public void Clip_with_only_max_opset_11()
    {
        var g = new GraphBuilder(11, -1, 3, 4, 5);
        g.Output(g.Node("Clip", ["x", "", g.Init([0.5f], [])]));
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    public void Binary_broadcasting_against_weights(string op)
    {
        var g = new GraphBuilder(13, -1, 3, 4, 5);
        var a = g.Node(op, ["x", g.Random(3, 3, 1, 1)]);
        var b = g.Node(op, [g.Random(4, 5), a]);
        var c = g.Node(op, [b, g.Init([1.5f], [])]);
        g.Output(c);
        Oracle.Check(g, [2, 3, 4, 5], lo: 0.5f, hi: 2f);
    }

    public static TheoryData<int, int, int, long[], long[], long[], string> ConvCases => new()
    {
        // c, o, group, kernel, strides, pads, auto_pad
        { 3, 4, 1, [3, 3], [1, 1], [1, 1, 1, 1], "NOTSET" },
        { 3, 4, 1, [7, 7], [2, 2], [3, 3, 2, 2], "NOTSET" },
        { 3, 4, 1, [1, 1], [2, 2], [0, 0, 0, 0], "NOTSET" },
        { 3, 5, 1, [3, 3], [2, 2], [], "SAME_UPPER" },
        { 3, 5, 1, [3, 3], [2, 2], [], "SAME_LOWER" },
        { 3, 5, 1, [3, 3], [1, 1], [], "VALID" },
        { 4, 4, 4, [3, 3], [1, 1], [1, 1, 1, 1], "NOTSET" },
        { 4, 8, 4, [3, 3], [2, 2], [1, 1, 1, 1], "NOTSET" },
        { 4, 6, 2, [3, 3], [1, 1], [0, 1, 0, 1], "NOTSET" },
        { 4, 4, 4, [5, 5], [2, 2], [], "SAME_UPPER" },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv(int c, int o, int group, long[] kernel, long[] strides, long[] pads, string autoPad)
    {
        var g = new GraphBuilder(11, -1, c, 9, 10);
        var attrs = new List<AttributeProto> { A("kernel_shape", kernel), A("strides", strides), A("group", (long)group) };
        attrs.Add(pads.Length > 0 ? A("pads", pads) : A("auto_pad", autoPad));
        g.Output(g.Node("Conv", ["x", g.Random(5, o, c / group, (int)kernel[0], (int)kernel[1]), g.Random(6, o)], [.. attrs]));
        Oracle.Check(g, [2, c, 9, 10]);
    }

    [Fact]
    public void Conv_dilated_without_bias()
    {
        var g = new GraphBuilder(11, -1, 3, 11, 11);
        g.Output(g.Node("Conv", ["x", g.Random(7, 4, 3, 3, 3)], A("dilations", 2L, 2L), A("pads", 2L, 2L, 2L, 2L)));
        Oracle.Check(g, [2, 3, 11, 11]);
    }

    [Fact]
    public void Conv_with_raw_data_weights()
    {
        var g = new GraphBuilder(8, 1, 2, 6, 6);
        var w = DeepMetric.Tensors.Tensor.Rand(new DeepMetric.Tensors.Random.Prng(9), [3, 2, 3, 3], -1, 1).ToArray();
        g.Output(g.Node("Conv", ["x", g.InitRaw(w, 3, 2, 3, 3)], A("kernel_shape", 3L, 3L)));
        Oracle.Check(g, [1, 2, 6, 6]);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(15)]
    public void BatchNormalization_uses_stored_statistics(int opset)
    {
        var g = new GraphBuilder(opset, -1, 3, 4, 5);
        var attrs = opset < 9 ? new[] { A("epsilon", 1e-3f), A("spatial", 1L) } : [A("epsilon", 1e-3f), A("momentum", 0.9f)];
        g.Output(g.Node("BatchNormalization", ["x", g.Random(1, 3), g.Random(2, 3), g.Random(3, 3), g.Init([0.5f, 1f, 2f], 3)], attrs));
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    public static TheoryData<string, long[], long[], long[], long, long, int> PoolCases => new()
    {
        // op, kernel, strides, pads, ceil_mode, count_include_pad, opset
        { "MaxPool", [3, 3], [2, 2], [1, 1, 1, 1], 0, 0, 11 },
        { "MaxPool", [3, 3], [2, 2], [1, 1, 0, 0], 0, 0, 8 },
        { "MaxPool", [2, 2], [2, 2], [0, 0, 0, 0], 1, 0, 11 },
        { "MaxPool", [3, 3], [1, 1], [0, 0, 0, 0], 0, 0, 11 },
        { "AveragePool", [3, 3], [2, 2], [1, 1, 1, 1], 0, 0, 11 },
        { "AveragePool", [3, 3], [2, 2], [1, 1, 1, 1], 0, 1, 11 },
        { "AveragePool", [2, 2], [2, 2], [0, 0, 0, 0], 1, 0, 11 },
        { "AveragePool", [2, 2], [2, 2], [0, 0, 0, 0], 0, 0, 7 },
        { "AveragePool", [3, 3], [1, 1], [1, 0, 0, 1], 0, 0, 11 },
    };

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool(string op, long[] kernel, long[] strides, long[] pads, long ceil, long include, int opset)
    {
        var g = new GraphBuilder(opset, -1, 3, 9, 10);
        var attrs = new List<AttributeProto> { A("kernel_shape", kernel), A("strides", strides), A("pads", pads) };
        if (opset >= 10)
        {
            attrs.Add(A("ceil_mode", ceil));
        }
        if (op == "AveragePool")
        {
            attrs.Add(A("count_include_pad", include));
        }
        g.Output(g.Node(op, ["x"], [.. attrs]));
        Oracle.Check(g, [2, 3, 9, 10]);
    }

    [Fact]
    public void Pool_auto_pad_same_upper()
    {
        var g = new GraphBuilder(11, -1, 3, 9, 10);
        g.Output(g.Node("MaxPool", ["x"], A("kernel_shape", 3L, 3L), A("strides", 2L, 2L), A("auto_pad", "SAME_UPPER")));
        Oracle.Check(g, [2, 3, 9, 10]);
    }

    [Fact]
    public void GlobalAveragePool_Flatten_Gemm()
    {
        var g = new GraphBuilder(11, -1, 3, 4, 5);
        var p = g.Node("GlobalAveragePool", ["x"]);
        var f = g.Node("Flatten", [p], A("axis", 1L));
        g.Output(g.Node("Gemm", [f, g.Random(2, 6, 3), g.Random(3, 6)], A("transB", 1L), A("alpha", 0.5f), A("beta", 2f)));
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Fact]
    public void Gemm_transposed_A_without_C()
    {
        var g = new GraphBuilder(13, 4, 3);
        g.Output(g.Node("Gemm", ["x", g.Random(2, 4, 5)], A("transA", 1L)));
        Oracle.Check(g, [4, 3]);
    }

    [Fact]
    public void MatMul_batched_and_with_a_shared_matrix()
    {
        var g = new GraphBuilder(13, -1, 3, 4, 5);
        var a = g.Node("MatMul", ["x", g.Random(2, 5, 6)]);
        var t = g.Node("Transpose", [a], A("perm", 0L, 1L, 3L, 2L));
        g.Output(g.Node("MatMul", [a, t]));
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Theory]
    [InlineData(11, 1L)]
    [InlineData(11, 3L)]
    [InlineData(13, 1L)]
    [InlineData(13, -1L)]
    public void Softmax_axis_semantics_before_and_after_opset_13(int opset, long axis)
    {
        var g = new GraphBuilder(opset, -1, 3, 4, 5);
        g.Output(g.Node("Softmax", ["x"], A("axis", axis)));
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(2L)]
    public void LayerNormalization(long axis)
    {
        var g = new GraphBuilder(17, -1, 3, 4, 5);
        int d = axis == -1 ? 5 : 20;
        int[] wShape = axis == -1 ? [5] : [4, 5];
        g.Output(g.Node("LayerNormalization", ["x", g.Random(2, wShape), g.Random(3, wShape)], A("axis", axis), A("epsilon", 1e-4f)));
        Assert.Equal(d, wShape.Aggregate(1, (p, q) => p * q));
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Fact]
    public void Reshape_Transpose_Concat_Split()
    {
        var g = new GraphBuilder(13, -1, 3, 4, 5);
        var r = g.Node("Reshape", ["x", g.InitInts([0, 3, -1], 3)]);
        var t = g.Node("Transpose", [r], A("perm", 0L, 2L, 1L));
        var parts = g.Nodes("Split", [t, g.InitInts([5, 15], 2)], 2, A("axis", 1L));
        var c = g.Node("Concat", [parts[1], parts[0], parts[1]], A("axis", 1L));
        g.Output(c);
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Fact]
    public void Split_attribute_form_opset_11()
    {
        var g = new GraphBuilder(11, -1, 6, 2);
        var parts = g.Nodes("Split", ["x"], 3, A("axis", 1L), A("split", 1L, 2L, 3L));
        g.Output(g.Node("Concat", [parts[2], parts[0]], A("axis", 1L)));
        Oracle.Check(g, [2, 6, 2]);
    }

    [Fact]
    public void Split_num_outputs_opset_18()
    {
        var g = new GraphBuilder(18, -1, 6, 2);
        var parts = g.Nodes("Split", ["x"], 3, A("axis", 1L), A("num_outputs", 3L));
        g.Output(g.Node("Sub", [parts[2], parts[0]]));
        Oracle.Check(g, [2, 6, 2]);
    }

    [Fact]
    public void Slice_inputs_with_steps_and_negative_indices()
    {
        var g = new GraphBuilder(13, -1, 3, 8, 9);
        var s = g.Node("Slice", ["x", g.InitInts([1, -1, 0], 3), g.InitInts([8, 0, 100], 3), g.InitInts([2, 3, 1], 3), g.InitInts([2, -2, 1], 3)]);
        g.Output(s);
        Oracle.Check(g, [2, 3, 8, 9]);
    }

    [Fact]
    public void Slice_attribute_form_opset_9()
    {
        var g = new GraphBuilder(9, -1, 3, 8, 9);
        g.Output(g.Node("Slice", ["x"], A("starts", 1L, 2L), A("ends", 3L, -1L), A("axes", 1L, 3L)));
        Oracle.Check(g, [2, 3, 8, 9]);
    }

    [Fact]
    public void Gather_with_scalar_and_matrix_indices()
    {
        var g = new GraphBuilder(13, -1, 5, 4);
        var a = g.Node("Gather", ["x", g.InitInts([-1, 0, 2, 2], 2, 2)], A("axis", 1L));
        var b = g.Node("Gather", [a, g.InitInts([1], [])], A("axis", 2L));
        g.Output(b);
        Oracle.Check(g, [2, 5, 4]);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(18)]
    public void Pad_constant_in_each_opset_form(int opset)
    {
        var g = new GraphBuilder(opset, -1, 3, 4, 5);
        long[] pads = [0, 0, 1, 2, 0, 1, 0, 3];
        string y = opset < 11
            ? g.Node("Pad", ["x"], A("pads", pads), A("value", 0.25f), A("mode", "constant"))
            : g.Node("Pad", ["x", g.InitInts(pads, 8), g.Init([0.25f], [])]);
        g.Output(y);
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void Squeeze_and_Unsqueeze_attribute_and_input_forms(int opset)
    {
        var g = new GraphBuilder(opset, -1, 3, 1, 5);
        string s = opset < 13 ? g.Node("Squeeze", ["x"], A("axes", new long[] { 2 })) : g.Node("Squeeze", ["x", g.InitInts([2], 1)]);
        string u = opset < 13 ? g.Node("Unsqueeze", [s], A("axes", 0L, 3L)) : g.Node("Unsqueeze", [s, g.InitInts([0, 3], 2)]);
        g.Output(u);
        Oracle.Check(g, [2, 3, 1, 5]);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(18)]
    public void ReduceMean_attribute_and_input_forms(int opset)
    {
        var g = new GraphBuilder(opset, -1, 3, 4, 5);
        string y = opset < 18 ? g.Node("ReduceMean", ["x"], A("axes", 2L, 3L), A("keepdims", 1L)) : g.Node("ReduceMean", ["x", g.InitInts([2, 3], 2)], A("keepdims", 0L));
        g.Output(y);
        Oracle.Check(g, [2, 3, 4, 5]);
    }

    [Fact]
    public void Dynamic_shape_chain_is_computed_per_batch()
    {
        // x.view(x.size(0), -1) as PyTorch exports it: Shape → Gather → Unsqueeze → Concat → Reshape.
        var g = new GraphBuilder(13, -1, 3, 4, 5);
        var shape = g.Node("Shape", ["x"]);
        var n = g.Node("Gather", [shape, g.InitInts([0], [])], A("axis", 0L));
        var nu = g.Node("Unsqueeze", [n, g.InitInts([0], 1)]);
        var target = g.Node("Concat", [nu, g.InitInts([-1], 1)], A("axis", 0L));
        var r = g.Node("Reshape", ["x", target]);
        var cast = g.Node("Cast", [shape], A("to", 1L));
        var sum = g.Node("ReduceSum", [cast, g.InitInts([0], 1)], A("keepdims", 1L));
        g.Output(g.Node("Mul", [r, sum]));
        Oracle.Check(g, [2, 3, 4, 5]);
        Oracle.Check(g, [5, 3, 4, 5]);
    }

    [Fact]
    public void Static_shape_ops_fold_at_import()
    {
        var g = new GraphBuilder(13, -1, 4);
        var c = g.Node("Constant", [], T("value", IntTensor([2, 2], 2)));
        var fill = g.Node("ConstantOfShape", [c], T("value", FloatTensor([0.5f], 1)));
        var e = g.Node("Expand", [fill, g.InitInts([3, 2, 2], 3)]);
        var eq = g.Node("Equal", [g.InitInts([1, 2, 3, 4], 4), g.InitInts([1, 0, 3, 0], 4)]);
        var w = g.Node("Where", [eq, g.Init([1f, 2f, 3f, 4f], 4), g.Init([-1f, -2f, -3f, -4f], 4)]);
        var sum = g.Node("ReduceSum", [e], A("keepdims", 0L));
        var scaled = g.Node("Mul", [w, sum]);
        var id = g.Node("Identity", [scaled]);
        g.Output(g.Node("Add", ["x", id]));
        var module = DeepMetric.Onnx.Import.OnnxGraphLoader.Load(g.Bytes(), "fold.onnx");
        Assert.Equal(1, module.NodeCount);
        Oracle.Check(g, [3, 4]);
    }

    private static DeepMetric.Onnx.Proto.TensorProto IntTensor(long[] data, params int[] dims)
    {
        var t = new DeepMetric.Onnx.Proto.TensorProto { DataType = 7 };
        t.Dims.AddRange(dims.Select(d => (long)d));
        t.Int64Data.AddRange(data);
        return t;
    }

    private static DeepMetric.Onnx.Proto.TensorProto FloatTensor(float[] data, params int[] dims)
    {
        var t = new DeepMetric.Onnx.Proto.TensorProto { DataType = 1 };
        t.Dims.AddRange(dims.Select(d => (long)d));
        t.FloatData.AddRange(data);
        return t;
    }
}

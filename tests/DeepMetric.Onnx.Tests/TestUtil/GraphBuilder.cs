using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors.Nn;
using Google.Protobuf;

namespace DeepMetric.Onnx.Tests.TestUtil;

/// <summary>Writes small ONNX graphs with the generated protobuf classes (one float input "x", one output).</summary>
internal sealed class GraphBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private int _counter;

    public GraphBuilder(int opset, params int[] inputShape)
    {
        Opset = opset;
        _graph.Input.Add(ValueInfo("x", inputShape));
    }

    public int Opset { get; }

    public string Node(string op, string[] inputs, params AttributeProto[] attrs) => Nodes(op, inputs, 1, attrs)[0];

    public string[] Nodes(string op, string[] inputs, int outputs, params AttributeProto[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = $"{op}_{_counter}" };
        n.Input.AddRange(inputs);
        var outs = Enumerable.Range(0, outputs).Select(i => $"{op}_{_counter}_out{i}").ToArray();
        n.Output.AddRange(outs);
        n.Attribute.AddRange(attrs);
        _graph.Node.Add(n);
        _counter++;
        return outs;
    }

    public string Init(float[] data, params int[] dims)
    {
        var t = new TensorProto { Name = $"w{_counter++}", DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims.Select(d => (long)d));
        t.FloatData.AddRange(data);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string InitRaw(float[] data, params int[] dims)
    {
        var t = new TensorProto { Name = $"w{_counter++}", DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims.Select(d => (long)d));
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string InitInts(long[] data, params int[] dims)
    {
        var t = new TensorProto { Name = $"i{_counter++}", DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims.Select(d => (long)d));
        t.Int64Data.AddRange(data);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string Random(ulong seed, params int[] dims)
    {
        var rng = new DeepMetric.Tensors.Random.Prng(seed);
        return Init(DeepMetric.Tensors.Tensor.Rand(rng, dims, -1f, 1f).ToArray(), dims);
    }

    public GraphBuilder Output(string name)
    {
        _graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return this;
    }

    public ModelProto Model()
    {
        var m = new ModelProto { IrVersion = Opset >= 15 ? 8 : 7, ProducerName = "DeepMetric.Onnx.Tests", Graph = _graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return m;
    }

    public byte[] Bytes() => Model().ToByteArray();

    public static ValueInfoProto ValueInfo(string name, int[] shape)
    {
        var shapeProto = new TensorShapeProto();
        foreach (int d in shape)
        {
            shapeProto.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shapeProto } } };
    }

    public static AttributeProto A(string name, long i) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i };

    public static AttributeProto A(string name, float f) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f };

    public static AttributeProto A(string name, string s) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) };

    public static AttributeProto A(string name, params long[] ints)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(ints);
        return a;
    }

    public static AttributeProto T(string name, TensorProto t) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
}

using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

/// <summary>
/// A value flowing through an imported graph: a float tensor of the engine (with autograd), or a small integer or
/// boolean tensor (shapes, indices, masks) kept as 64-bit integers and computed without gradients.
/// </summary>
internal sealed class OnnxValue
{
    private OnnxValue(Tensor? floats, long[]? ints, int[] dims, bool isBool)
    {
        Floats = floats;
        Ints = ints;
        Dims = dims;
        IsBool = isBool;
    }

    /// <summary>The float tensor, or null for an integer value.</summary>
    public Tensor? Floats { get; }

    /// <summary>The integer elements (row-major), or null for a float value.</summary>
    public long[]? Ints { get; }

    /// <summary>The shape.</summary>
    public int[] Dims { get; }

    /// <summary>True for an integer value holding booleans (0 or 1).</summary>
    public bool IsBool { get; }

    /// <summary>True when this is a float tensor.</summary>
    public bool IsFloat => Floats is not null;

    /// <summary>Number of elements.</summary>
    public int Size => Floats?.Size ?? Ints!.Length;

    public static OnnxValue Of(Tensor t) => new(t, null, t.Shape, false);

    public static OnnxValue OfInts(long[] data, int[] dims, bool isBool = false)
    {
        if (ShapeOf(dims) != data.Length)
        {
            throw new InvalidOperationException($"Internal error: {data.Length} integers for shape [{string.Join(", ", dims)}].");
        }
        return new(null, data, dims, isBool);
    }

    /// <summary>The value as a float tensor (integers converted; they carry no gradient).</summary>
    public Tensor AsTensor()
    {
        if (Floats is not null)
        {
            return Floats;
        }
        var data = new float[Ints!.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Ints[i];
        }
        return Tensor.FromArray(data, Dims);
    }

    /// <summary>The value as integers (floats truncated toward zero, as ONNX Cast does).</summary>
    public long[] AsInts()
    {
        if (Ints is not null)
        {
            return Ints;
        }
        var f = Floats!.ToArray();
        var data = new long[f.Length];
        for (int i = 0; i < f.Length; i++)
        {
            data[i] = (long)f[i];
        }
        return data;
    }

    /// <summary>The elements as 32-bit sizes or indices.</summary>
    public int[] AsInt32s()
    {
        var l = AsInts();
        var r = new int[l.Length];
        for (int i = 0; i < l.Length; i++)
        {
            r[i] = (int)Math.Clamp(l[i], int.MinValue, int.MaxValue);
        }
        return r;
    }

    public static int ShapeOf(int[] dims)
    {
        int n = 1;
        foreach (int d in dims)
        {
            n *= d;
        }
        return n;
    }

    public override string ToString() => $"{(IsFloat ? "float" : IsBool ? "bool" : "int64")}[{string.Join(", ", Dims)}]";
}

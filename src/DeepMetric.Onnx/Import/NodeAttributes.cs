using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

/// <summary>
/// The attributes of one node, read by name. Every attribute the file gives must be read by the op's mapping:
/// <see cref="EnsureAllRead"/> turns a leftover (an attribute we do not understand) into an error naming it.
/// </summary>
internal sealed class NodeAttributes
{
    private readonly Dictionary<string, AttributeProto> _byName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public NodeAttributes(NodeProto node, string where)
    {
        Where = where;
        foreach (var a in node.Attribute)
        {
            _byName[a.Name] = a;
        }
    }

    /// <summary>"node 'name' (Op)" for error messages.</summary>
    public string Where { get; }

    public bool Has(string name) => _byName.ContainsKey(name);

    public long Int(string name, long fallback)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return fallback;
        }
        Expect(a, AttributeProto.Types.AttributeType.Int);
        return a.I;
    }

    public float Float(string name, float fallback)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return fallback;
        }
        Expect(a, AttributeProto.Types.AttributeType.Float);
        return a.F;
    }

    public string String(string name, string fallback)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return fallback;
        }
        Expect(a, AttributeProto.Types.AttributeType.String);
        return a.S.ToStringUtf8();
    }

    public long[]? Ints(string name)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return null;
        }
        Expect(a, AttributeProto.Types.AttributeType.Ints);
        return [.. a.Ints];
    }

    public float[]? Floats(string name)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return null;
        }
        Expect(a, AttributeProto.Types.AttributeType.Floats);
        return [.. a.Floats];
    }

    public TensorProto? Tensor(string name)
    {
        if (!_byName.TryGetValue(name, out var a))
        {
            return null;
        }
        Expect(a, AttributeProto.Types.AttributeType.Tensor);
        return a.T;
    }

    // Files from old exporters may leave the type unset (UNDEFINED); accept those, reject a different declared type.
    private void Expect(AttributeProto a, AttributeProto.Types.AttributeType type)
    {
        _read.Add(a.Name);
        if (a.Type != type && a.Type != AttributeProto.Types.AttributeType.Undefined)
        {
            throw Unsupported(a.Name, $"has type {a.Type} but {type} is expected");
        }
    }

    /// <summary>Marks an attribute as understood without using its value (e.g. a training-only momentum).</summary>
    public void Ignore(string name) => _read.Add(name);

    /// <summary>An error about attribute <paramref name="name"/> of this node.</summary>
    public OnnxImportException Unsupported(string name, string why) =>
        new($"{Where}: attribute '{name}' {why}.");

    /// <summary>Throws when the file gives an attribute that the mapping did not read.</summary>
    public void EnsureAllRead()
    {
        foreach (var name in _byName.Keys)
        {
            if (!_read.Contains(name))
            {
                throw new OnnxImportException($"{Where}: attribute '{name}' is not supported.");
            }
        }
    }
}

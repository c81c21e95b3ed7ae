using System.Text;
using DeepMetric.Tensors.IO;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Base class of neural-network layers: holds named parameters (trainable tensors), buffers (state that is
/// saved but not trained, such as running statistics) and named child modules, and maps an input to an
/// output in <see cref="Forward"/>.
/// </summary>
/// <remarks>
/// Names follow PyTorch's conventions: a tensor's full name is the dotted path of the children leading to it,
/// e.g. <c>"0.weight"</c> in a <see cref="Sequential"/> or <c>"embedder.1.bias"</c>, so state dictionaries can be
/// exchanged with PyTorch through <see cref="Safetensors"/>. Everything is enumerated in registration order.
/// </remarks>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> _buffers = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];

    /// <summary>Maps an input batch to the output of this layer.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Number of trainable scalars (each shared parameter counted once).</summary>
    public long ParameterCount
    {
        get
        {
            long n = 0;
            foreach (var p in Parameters())
            {
                n += p.Size;
            }
            return n;
        }
    }

    /// <summary>Sets training mode on this module and all its descendants.</summary>
    /// <returns>This module, for chaining.</returns>
    public Module Train(bool mode = true)
    {
        IsTraining = mode;
        foreach (var child in _children)
        {
            child.Value.Train(mode);
        }
        return this;
    }

    /// <summary>Sets evaluation mode on this module and all its descendants (same as <c>Train(false)</c>).</summary>
    /// <returns>This module, for chaining.</returns>
    public Module Eval() => Train(false);

    /// <summary>The direct children, in registration order.</summary>
    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _children;

    /// <summary>The direct children, in registration order.</summary>
    public IEnumerable<Module> Children()
    {
        foreach (var child in _children)
        {
            yield return child.Value;
        }
    }

    /// <summary>All trainable parameters of this module and its descendants, each distinct tensor once.</summary>
    public IEnumerable<Tensor> Parameters()
    {
        foreach (var p in NamedParameters())
        {
            yield return p.Value;
        }
    }

    /// <summary>
    /// All trainable parameters with their dotted names (e.g. <c>"0.weight"</c>), in registration order;
    /// a tensor registered under several names is reported once, under the first.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in Collect(includeParameters: true, includeBuffers: false))
        {
            if (seen.Add(p.Value))
            {
                yield return p;
            }
        }
    }

    /// <summary>All buffers (non-trained state such as running statistics) with their dotted names.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers() => Collect(includeParameters: false, includeBuffers: true);

    /// <summary>
    /// Parameters and buffers by dotted name, in registration order. The values share storage with the
    /// module's tensors but are cut from the graph; clone them to keep a snapshot.
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var dict = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var entry in Collect(includeParameters: true, includeBuffers: true))
        {
            dict.Add(entry.Key, entry.Value.Detach());
        }
        return dict;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into this module's parameters and buffers (in place, so
    /// optimizers holding the tensors stay valid). Nothing is copied unless every check passes.
    /// </summary>
    /// <param name="stateDict">Tensors by dotted name, as produced by <see cref="StateDict"/> or <see cref="Safetensors.Load"/>.</param>
    /// <param name="strict">When true, keys of this module missing from the dictionary and keys the module does not
    /// have are errors; when false they are only reported in the result.</param>
    /// <returns>The keys that were missing and the keys that were not used.</returns>
    /// <exception cref="ArgumentException">A shape differs, or (when strict) keys are missing or unexpected; the
    /// message lists every offending key.</exception>
    public StateDictLoadResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var own = Collect(includeParameters: true, includeBuffers: true);
        var ownNames = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatches = new List<string>();
        foreach (var (name, target) in own)
        {
            ownNames.Add(name);
            if (!stateDict.TryGetValue(name, out var source))
            {
                missing.Add(name);
            }
            else if (source is null)
            {
                mismatches.Add($"'{name}' is null");
            }
            else if (!ShapeUtil.SameShape(source.Dims, target.Dims))
            {
                mismatches.Add($"'{name}' has shape {ShapeUtil.Format(source.Dims)} in the state dict but {ShapeUtil.Format(target.Dims)} in the module");
            }
        }
        var unexpected = new List<string>();
        foreach (var key in stateDict.Keys)
        {
            if (!ownNames.Contains(key))
            {
                unexpected.Add(key);
            }
        }
        unexpected.Sort(StringComparer.Ordinal);

        if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var sb = new StringBuilder($"Error loading the state dict into {GetType().Name}:");
            if (strict && missing.Count > 0)
            {
                sb.Append(" missing keys: ").Append(Quote(missing)).Append('.');
            }
            if (strict && unexpected.Count > 0)
            {
                sb.Append(" unexpected keys: ").Append(Quote(unexpected)).Append('.');
            }
            if (mismatches.Count > 0)
            {
                sb.Append(" shape mismatch: ").Append(string.Join("; ", mismatches)).Append('.');
            }
            throw new ArgumentException(sb.ToString(), nameof(stateDict));
        }

        foreach (var (name, target) in own)
        {
            if (!stateDict.TryGetValue(name, out var source))
            {
                continue;
            }
            if (!ReferenceEquals(source.Buffer, target.Buffer))
            {
                source.ReadOnlySpan.CopyTo(target.Span);
            }
            else if (source.Offset != target.Offset)
            {
                // Same storage, different window: copy through a temporary so an overlap cannot corrupt it.
                source.ToArray().CopyTo(target.Span);
            }
        }
        return new StateDictLoadResult(missing, unexpected);
    }

    /// <summary>Clears the gradients of all parameters.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.ZeroGrad();
        }
    }

    /// <summary>Writes <see cref="StateDict"/> to a safetensors file (atomically; see <see cref="Safetensors.Save"/>).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null) => Safetensors.Save(path, StateDict(), metadata);

    /// <summary>Loads parameters and buffers from a safetensors file (see <see cref="LoadStateDict"/>).</summary>
    /// <exception cref="SafetensorsFormatException">The file is not a valid safetensors file.</exception>
    public StateDictLoadResult Load(string path, bool strict = true) => LoadStateDict(Safetensors.Load(path).Tensors, strict);

    /// <summary>
    /// Registers a trainable parameter under <paramref name="name"/> and marks it as requiring a gradient.
    /// </summary>
    /// <returns>The same tensor, for assignment to a field.</returns>
    protected Tensor RegisterParameter(string name, Tensor parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!parameter.IsLeaf)
        {
            throw new ArgumentException($"Parameter '{name}' must be a leaf tensor (it was produced by {parameter.Operation}); use Detach() or Clone().", nameof(parameter));
        }
        CheckName(name);
        parameter.RequiresGrad = true;
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a buffer: state saved in the state dict but not trained (e.g. running statistics).</summary>
    /// <returns>The same tensor, for assignment to a field.</returns>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName(name);
        _buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module; its tensors are named <c>name.…</c>. The child adopts this module's mode.</summary>
    /// <returns>The same module, for assignment to a field.</returns>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        if (ReferenceEquals(module, this) || module.HasDescendant(this))
        {
            throw new ArgumentException($"Registering '{name}' would make {GetType().Name} its own descendant (a module cycle).", nameof(module));
        }
        CheckName(name);
        module.Train(IsTraining);
        _children.Add(new(name, module));
        return module;
    }

    // The tree is acyclic before every registration, so this search terminates.
    private bool HasDescendant(Module target)
    {
        foreach (var (_, child) in _children)
        {
            if (ReferenceEquals(child, target) || child.HasDescendant(target))
            {
                return true;
            }
        }
        return false;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Name '{name}' must not contain '.', which separates the levels of a dotted path.", nameof(name));
        }
        if (Contains(_parameters, name) || Contains(_buffers, name) || Contains(_children, name))
        {
            throw new ArgumentException($"{GetType().Name} already has a parameter, buffer or child named '{name}'.", nameof(name));
        }
    }

    private static bool Contains<T>(List<KeyValuePair<string, T>> list, string name)
    {
        foreach (var entry in list)
        {
            if (entry.Key == name)
            {
                return true;
            }
        }
        return false;
    }

    private List<KeyValuePair<string, Tensor>> Collect(bool includeParameters, bool includeBuffers)
    {
        var result = new List<KeyValuePair<string, Tensor>>();
        CollectInto(result, "", includeParameters, includeBuffers);
        return result;
    }

    private void CollectInto(List<KeyValuePair<string, Tensor>> result, string prefix, bool includeParameters, bool includeBuffers)
    {
        if (includeParameters)
        {
            foreach (var (name, p) in _parameters)
            {
                result.Add(new(prefix + name, p));
            }
        }
        if (includeBuffers)
        {
            foreach (var (name, b) in _buffers)
            {
                result.Add(new(prefix + name, b));
            }
        }
        foreach (var (name, child) in _children)
        {
            child.CollectInto(result, prefix + name + ".", includeParameters, includeBuffers);
        }
    }

    private static string Quote(List<string> names)
    {
        const int MaxListed = 20;
        var sb = new StringBuilder();
        for (int i = 0; i < names.Count && i < MaxListed; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            sb.Append('\'').Append(names[i]).Append('\'');
        }
        if (names.Count > MaxListed)
        {
            sb.Append(" and ").Append(names.Count - MaxListed).Append(" more");
        }
        return sb.ToString();
    }
}

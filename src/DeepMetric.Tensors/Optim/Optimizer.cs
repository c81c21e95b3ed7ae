using System.Globalization;

namespace DeepMetric.Tensors.Optim;

/// <summary>
/// Base class of gradient-descent optimizers. Holds the parameter groups, the lazily allocated
/// per-parameter state buffers and the checkpoint (state dict) logic; subclasses supply the update rule.
/// </summary>
/// <remarks>
/// <see cref="Step"/> updates every parameter whose <see cref="Tensor.Grad"/> is not null, in place;
/// parameters without a gradient are skipped and their state is left untouched. State buffers are
/// allocated the first time a parameter is updated, so steps after the first allocate nothing.
/// </remarks>
public abstract class Optimizer
{
    /// <summary>Version of the state-dict layout written by <see cref="StateDict"/>.</summary>
    private const string FormatVersion = "1";

    private readonly ParamGroup[] _groups;
    private readonly Tensor[] _parameters;
    private readonly int[] _groupStart;
    private readonly string[] _stateNames;
    private readonly float[]?[][] _state;
    private readonly long[] _steps;
    private readonly float[]?[] _scratch = new float[]?[2];
    private readonly int _maxSize;
    private readonly ParamGroup _defaults;

    /// <summary>Creates an optimizer over <paramref name="paramGroups"/>.</summary>
    /// <param name="paramGroups">The groups; at least one parameter in total, no tensor listed twice, leaves only.</param>
    /// <param name="defaults">The optimizer's default options; each group's null options are filled from it.</param>
    /// <param name="stateBufferNames">Names of the per-parameter state buffers the update rule keeps (e.g. <c>exp_avg</c>).</param>
    /// <exception cref="ArgumentException">No parameters, a parameter listed twice, or a non-leaf parameter.</exception>
    protected Optimizer(IEnumerable<ParamGroup> paramGroups, ParamGroup defaults, IReadOnlyList<string> stateBufferNames)
    {
        ArgumentNullException.ThrowIfNull(paramGroups);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(stateBufferNames);
        _defaults = defaults;
        var groups = new List<ParamGroup>();
        var parameters = new List<Tensor>();
        var starts = new List<int>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var group in paramGroups)
        {
            if (group is null)
            {
                throw new ArgumentNullException(nameof(paramGroups), "The parameter groups must not contain null.");
            }
            starts.Add(parameters.Count);
            foreach (var p in group.Parameters)
            {
                if (!p.IsLeaf)
                {
                    throw new ArgumentException($"Parameter {parameters.Count} (shape {ShapeUtil.Format(p.Dims)}) is the result of '{p.Operation}', not a leaf tensor; optimizers update leaf tensors only.", nameof(paramGroups));
                }
                if (!seen.Add(p))
                {
                    throw new ArgumentException($"Parameter {parameters.Count} (shape {ShapeUtil.Format(p.Dims)}) appears more than once in the parameter groups.", nameof(paramGroups));
                }
                parameters.Add(p);
                _maxSize = Math.Max(_maxSize, p.Size);
            }
            group.FillFrom(defaults);
            groups.Add(group);
        }
        if (parameters.Count == 0)
        {
            throw new ArgumentException("The optimizer was given no parameters.", nameof(paramGroups));
        }
        _groups = [.. groups];
        _parameters = [.. parameters];
        _groupStart = [.. starts, parameters.Count];
        _stateNames = [.. stateBufferNames];
        _state = new float[]?[_stateNames.Length][];
        for (int k = 0; k < _state.Length; k++)
        {
            _state[k] = new float[]?[_parameters.Length];
        }
        _steps = new long[_parameters.Length];
        ParamGroups = _groups.AsReadOnly();
    }

    /// <summary>The parameter groups, in order (PyTorch's <c>param_groups</c>).</summary>
    public IReadOnlyList<ParamGroup> ParamGroups { get; }

    /// <summary>
    /// The learning rate of the first group on get; on set, the learning rate of every group.
    /// </summary>
    public float LearningRate
    {
        get => _groups[0].LearningRate ?? 0f;
        set
        {
            foreach (var g in _groups)
            {
                g.LearningRate = value;
            }
        }
    }

    /// <summary>Number of updates parameter <paramref name="index"/> (counted across groups) has received.</summary>
    public long StepCount(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _parameters.Length);
        return _steps[index];
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    /// <exception cref="InvalidOperationException">A gradient's shape differs from its parameter's, or a group's options are inconsistent.</exception>
    public void Step()
    {
        for (int g = 0; g < _groups.Length; g++)
        {
            var group = _groups[g];
            group.FillFrom(_defaults);
            CheckGroup(group, g);
            for (int i = _groupStart[g]; i < _groupStart[g + 1]; i++)
            {
                var p = _parameters[i];
                var grad = p.Grad;
                if (grad is null)
                {
                    continue;
                }
                if (!ShapeUtil.SameShape(grad.Dims, p.Dims))
                {
                    throw new InvalidOperationException($"Parameter {i} has shape {ShapeUtil.Format(p.Dims)} but its gradient has shape {ShapeUtil.Format(grad.Dims)}.");
                }
                _steps[i]++;
                Update(group, i, p.Span, grad.ReadOnlySpan, _steps[i]);
            }
        }
    }

    /// <summary>Clears the gradients of all parameters.</summary>
    /// <param name="setToNone">True (default) sets <see cref="Tensor.Grad"/> to null; false fills existing gradients with zeros.</param>
    /// <param name="reuseStorage">
    /// With <paramref name="setToNone"/>: the next backward pass writes each parameter's new gradient into the storage of
    /// the dropped one instead of allocating, so a training loop allocates no gradient memory after its first step.
    /// Values and semantics are those of <paramref name="setToNone"/> (a parameter that receives no gradient keeps a null
    /// <see cref="Tensor.Grad"/>), but a reference to an old gradient kept by the caller sees the new values.
    /// </param>
    public void ZeroGrad(bool setToNone = true, bool reuseStorage = false)
    {
        foreach (var p in _parameters)
        {
            if (setToNone)
            {
                p.RecycledGrad = reuseStorage && p.Grad is { Offset: 0 } old && old.Buffer.Length == p.Size
                    ? old.Buffer
                    : null;
                p.Grad = null;
            }
            else
            {
                p.Grad?.Span.Clear();
            }
        }
    }

    /// <summary>Wraps a plain parameter list as a single group.</summary>
    protected static IEnumerable<ParamGroup> SingleGroup(IEnumerable<Tensor> parameters) => [new ParamGroup(parameters)];

    /// <summary>Checks a group's options (all filled) before its parameters are updated.</summary>
    /// <exception cref="InvalidOperationException">The options are inconsistent.</exception>
    protected abstract void CheckGroup(ParamGroup group, int groupIndex);

    /// <summary>Updates one parameter in place.</summary>
    /// <param name="group">The parameter's group (its options are filled).</param>
    /// <param name="index">The parameter's index across groups (for <see cref="GetState"/>).</param>
    /// <param name="param">The parameter's values.</param>
    /// <param name="grad">Its gradient (same length; must not be modified).</param>
    /// <param name="step">The update count including this one (1 on the first update).</param>
    protected abstract void Update(ParamGroup group, int index, Span<float> param, ReadOnlySpan<float> grad, long step);

    /// <summary>The state buffer <paramref name="kind"/> of parameter <paramref name="index"/>, allocated zeroed on first use.</summary>
    /// <param name="kind">Index into the state buffer names given to the constructor.</param>
    /// <param name="index">Parameter index across groups.</param>
    /// <param name="created">True when the buffer was allocated by this call.</param>
    protected float[] GetState(int kind, int index, out bool created)
    {
        var buffer = _state[kind][index];
        created = buffer is null;
        return buffer ??= _state[kind][index] = new float[_parameters[index].Size];
    }

    /// <summary>A reusable scratch span of <paramref name="length"/> floats (two slots, contents undefined).</summary>
    protected Span<float> Scratch(int slot, int length) =>
        (_scratch[slot] ??= GC.AllocateUninitializedArray<float>(_maxSize)).AsSpan(0, length);

    /// <summary>
    /// A snapshot of the optimizer for checkpointing: copies of all state buffers plus step counts,
    /// shapes and every group's hyper-parameters (see <see cref="OptimizerState"/>).
    /// </summary>
    public OptimizerState StateDict()
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["optimizer"] = GetType().Name,
            ["format"] = FormatVersion,
            ["param_count"] = Str(_parameters.Length),
            ["group_count"] = Str(_groups.Length),
        };
        for (int g = 0; g < _groups.Length; g++)
        {
            meta[$"group.{Str(g)}.param_count"] = Str(_groupStart[g + 1] - _groupStart[g]);
            foreach (var option in GroupOptions.All)
            {
                if (option.Get(_groups[g]) is string value)
                {
                    meta[$"group.{Str(g)}.{option.Key}"] = value;
                }
            }
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            meta[$"param.{Str(i)}.shape"] = FormatShape(_parameters[i].Dims);
            if (_steps[i] != 0)
            {
                meta[$"state.{Str(i)}.step"] = Str(_steps[i]);
            }
            for (int k = 0; k < _stateNames.Length; k++)
            {
                if (_state[k][i] is float[] buffer)
                {
                    tensors[$"state.{Str(i)}.{_stateNames[k]}"] = new Tensor((float[])buffer.Clone(), (int[])_parameters[i].Dims.Clone());
                }
            }
        }
        return new OptimizerState(tensors, meta);
    }

    /// <summary>
    /// Restores a snapshot taken by <see cref="StateDict"/> on an optimizer of the same type over
    /// parameters of the same shapes in the same groups. Group hyper-parameters (including learning
    /// rates) are restored too. Nothing is changed if validation fails.
    /// </summary>
    /// <exception cref="ArgumentException">The state is for another optimizer type, another parameter layout, or is malformed.</exception>
    public void LoadStateDict(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Tensors, nameof(state));
        ArgumentNullException.ThrowIfNull(state.Metadata, nameof(state));
        var meta = state.Metadata;
        string type = Required(meta, "optimizer");
        if (type != GetType().Name)
        {
            throw new ArgumentException($"The state was saved by a {type} optimizer but this is a {GetType().Name}.", nameof(state));
        }
        string format = Required(meta, "format");
        if (format != FormatVersion)
        {
            throw new ArgumentException($"Unsupported optimizer state format '{format}' (expected '{FormatVersion}').", nameof(state));
        }
        int paramCount = ParseInt(meta, "param_count");
        int groupCount = ParseInt(meta, "group_count");
        if (paramCount != _parameters.Length || groupCount != _groups.Length)
        {
            throw new ArgumentException($"The state holds {paramCount} parameters in {groupCount} groups but this optimizer has {_parameters.Length} parameters in {_groups.Length} groups.", nameof(state));
        }

        // Parse and validate everything before changing anything.
        var options = new ParamGroup[groupCount];
        for (int g = 0; g < groupCount; g++)
        {
            int count = ParseInt(meta, $"group.{Str(g)}.param_count");
            int expected = _groupStart[g + 1] - _groupStart[g];
            if (count != expected)
            {
                throw new ArgumentException($"Group {g} of the state holds {count} parameters but this optimizer's group {g} has {expected}.", nameof(state));
            }
            options[g] = new ParamGroup([]);
            foreach (var option in GroupOptions.All)
            {
                string key = $"group.{Str(g)}.{option.Key}";
                meta.TryGetValue(key, out string? value);
                try
                {
                    option.Set(options[g], value);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
                {
                    throw new ArgumentException($"Invalid value '{value}' for '{key}' in the optimizer state: {e.Message}", nameof(state), e);
                }
            }
        }
        var steps = new long[paramCount];
        for (int i = 0; i < paramCount; i++)
        {
            string shape = Required(meta, $"param.{Str(i)}.shape");
            if (shape != FormatShape(_parameters[i].Dims))
            {
                throw new ArgumentException($"Parameter {i} had shape [{shape}] in the state but has shape {ShapeUtil.Format(_parameters[i].Dims)} here.", nameof(state));
            }
            if (meta.TryGetValue($"state.{Str(i)}.step", out string? s))
            {
                if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out steps[i]))
                {
                    throw new ArgumentException($"Invalid step count '{s}' for parameter {i} in the optimizer state.", nameof(state));
                }
            }
        }
        var buffers = new (int Kind, int Index, Tensor Value)[state.Tensors.Count];
        int n = 0;
        foreach (var (key, tensor) in state.Tensors)
        {
            buffers[n++] = ParseBufferKey(key, tensor);
        }

        // Apply.
        for (int g = 0; g < groupCount; g++)
        {
            _groups[g].CopyOptionsFrom(options[g]);
        }
        steps.CopyTo(_steps, 0);
        foreach (var perParam in _state)
        {
            Array.Clear(perParam);
        }
        foreach (var (kind, index, value) in buffers)
        {
            var target = GetState(kind, index, out _);
            value.ReadOnlySpan.CopyTo(target);
        }
    }

    private (int Kind, int Index, Tensor Value) ParseBufferKey(string key, Tensor tensor)
    {
        // key = state.{index}.{name}
        string[] parts = key.Split('.');
        int kind = parts.Length == 3 && parts[0] == "state" ? Array.IndexOf(_stateNames, parts[2]) : -1;
        if (kind < 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= _parameters.Length)
        {
            throw new ArgumentException($"Unexpected tensor '{key}' in the state of a {GetType().Name} (expected 'state.<index>.<{string.Join('|', _stateNames)}>' with index below {_parameters.Length}).", "state");
        }
        if (tensor is null || !ShapeUtil.SameShape(tensor.Dims, _parameters[index].Dims))
        {
            throw new ArgumentException($"State tensor '{key}' has shape {(tensor is null ? "null" : ShapeUtil.Format(tensor.Dims))} but parameter {index} has shape {ShapeUtil.Format(_parameters[index].Dims)}.", "state");
        }
        return (kind, index, tensor);
    }

    private static string Required(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out string? value) && value is not null
            ? value
            : throw new ArgumentException($"The optimizer state has no '{key}' entry.", "state");

    private static int ParseInt(IReadOnlyDictionary<string, string> meta, string key)
    {
        string s = Required(meta, key);
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new ArgumentException($"The optimizer state entry '{key}' is '{s}', not a non-negative integer.", "state");
    }

    private static string FormatShape(int[] dims) => string.Join(',', dims);

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}

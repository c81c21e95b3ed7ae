namespace DeepMetric.Tensors.Optim;

/// <summary>
/// A list of parameters that share hyper-parameters, like a PyTorch <c>param_group</c>.
/// </summary>
/// <remarks>
/// Every hyper-parameter is optional: a null value means "use the optimizer's default". When an
/// optimizer is constructed it fills the options it uses, so afterwards the group shows the effective
/// values. Options an optimizer does not use are ignored (for example <see cref="Beta1"/> for SGD).
/// Values may be changed between steps; learning-rate schedulers do exactly that.
/// </remarks>
/// <example><code>
/// var opt = new Sgd([new ParamGroup(backbone) { LearningRate = 1e-3f }, new ParamGroup(head)], lr: 1e-2f);
/// </code></example>
public sealed class ParamGroup
{
    private float? _learningRate;
    private float? _weightDecay;
    private float? _momentum;
    private float? _dampening;
    private float? _beta1;
    private float? _beta2;
    private float? _epsilon;
    private float? _alpha;

    /// <summary>Creates a group over <paramref name="parameters"/> (leaf tensors, usually with RequiresGrad = true).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or one of its elements is null.</exception>
    public ParamGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = new List<Tensor>();
        foreach (var p in parameters)
        {
            if (p is null)
            {
                throw new ArgumentNullException(nameof(parameters), "A parameter list must not contain null tensors.");
            }
            list.Add(p);
        }
        Parameters = list.AsReadOnly();
    }

    /// <summary>The parameters of this group, in order.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Learning rate (finite, at least 0).</summary>
    public float? LearningRate
    {
        get => _learningRate;
        set => _learningRate = CheckNonNegative(value, nameof(LearningRate));
    }

    /// <summary>Weight decay factor (finite, at least 0): L2 added to the gradient, or decoupled for AdamW.</summary>
    public float? WeightDecay
    {
        get => _weightDecay;
        set => _weightDecay = CheckNonNegative(value, nameof(WeightDecay));
    }

    /// <summary>Momentum factor for SGD and RMSprop (finite, at least 0).</summary>
    public float? Momentum
    {
        get => _momentum;
        set => _momentum = CheckNonNegative(value, nameof(Momentum));
    }

    /// <summary>SGD dampening for momentum, in [0, 1].</summary>
    public float? Dampening
    {
        get => _dampening;
        set => _dampening = CheckUnitInterval(value, nameof(Dampening), includeOne: true);
    }

    /// <summary>Whether SGD uses Nesterov momentum.</summary>
    public bool? Nesterov { get; set; }

    /// <summary>Adam/AdamW decay rate of the first-moment estimate, in [0, 1).</summary>
    public float? Beta1
    {
        get => _beta1;
        set => _beta1 = CheckUnitInterval(value, nameof(Beta1), includeOne: false);
    }

    /// <summary>Adam/AdamW decay rate of the second-moment estimate, in [0, 1).</summary>
    public float? Beta2
    {
        get => _beta2;
        set => _beta2 = CheckUnitInterval(value, nameof(Beta2), includeOne: false);
    }

    /// <summary>Term added to the denominator for numerical stability (finite, at least 0).</summary>
    public float? Epsilon
    {
        get => _epsilon;
        set => _epsilon = CheckNonNegative(value, nameof(Epsilon));
    }

    /// <summary>RMSprop smoothing constant of the squared-gradient average, in [0, 1].</summary>
    public float? Alpha
    {
        get => _alpha;
        set => _alpha = CheckUnitInterval(value, nameof(Alpha), includeOne: true);
    }

    /// <summary>Whether RMSprop normalises by the centred (variance) estimate.</summary>
    public bool? Centered { get; set; }

    /// <summary>Whether Adam/AdamW use the AMSGrad maximum of past second moments.</summary>
    public bool? AmsGrad { get; set; }

    /// <summary>Sets every option that is null here from <paramref name="defaults"/>.</summary>
    internal void FillFrom(ParamGroup defaults)
    {
        _learningRate ??= defaults._learningRate;
        _weightDecay ??= defaults._weightDecay;
        _momentum ??= defaults._momentum;
        _dampening ??= defaults._dampening;
        Nesterov ??= defaults.Nesterov;
        _beta1 ??= defaults._beta1;
        _beta2 ??= defaults._beta2;
        _epsilon ??= defaults._epsilon;
        _alpha ??= defaults._alpha;
        Centered ??= defaults.Centered;
        AmsGrad ??= defaults.AmsGrad;
    }

    /// <summary>Copies every hyper-parameter (not the parameters) from <paramref name="other"/>.</summary>
    internal void CopyOptionsFrom(ParamGroup other)
    {
        _learningRate = other._learningRate;
        _weightDecay = other._weightDecay;
        _momentum = other._momentum;
        _dampening = other._dampening;
        Nesterov = other.Nesterov;
        _beta1 = other._beta1;
        _beta2 = other._beta2;
        _epsilon = other._epsilon;
        _alpha = other._alpha;
        Centered = other.Centered;
        AmsGrad = other.AmsGrad;
    }

    private static float? CheckNonNegative(float? value, string name)
    {
        if (value is float v && !(v >= 0f && float.IsFinite(v)))
        {
            throw new ArgumentOutOfRangeException(name, v, $"{name} must be finite and at least 0.");
        }
        return value;
    }

    private static float? CheckUnitInterval(float? value, string name, bool includeOne)
    {
        if (value is float v && !(v >= 0f && (includeOne ? v <= 1f : v < 1f)))
        {
            throw new ArgumentOutOfRangeException(name, v, $"{name} must be in [0, 1{(includeOne ? "]" : ")")}.");
        }
        return value;
    }
}

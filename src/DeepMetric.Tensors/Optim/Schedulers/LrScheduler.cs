using System.Globalization;

namespace DeepMetric.Tensors.Optim.Schedulers;

/// <summary>
/// Base class of learning-rate schedulers: sets every group's learning rate of an <see cref="Optimizer"/>
/// from a closed-form function of the group's base learning rate and a step counter.
/// </summary>
/// <remarks>
/// The counter starts at 0, where the schedule's initial value is applied on construction, and
/// <see cref="Step"/> advances it by one; call it once per epoch or once per iteration, as the schedule's
/// parameters assume. Learning rates are always recomputed from the closed form (never multiplied
/// step by step), so a resumed run reproduces the uninterrupted one exactly. Base learning rates are the
/// groups' learning rates when the scheduler is created.
/// </remarks>
public abstract class LrScheduler
{
    private const string Prefix = "scheduler.";
    private readonly float[] _baseLearningRates;

    /// <summary>Captures the optimizer's current group learning rates as the base learning rates.</summary>
    /// <param name="optimizer">The optimizer whose learning rates are scheduled.</param>
    protected LrScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        _baseLearningRates = new float[optimizer.ParamGroups.Count];
        for (int g = 0; g < _baseLearningRates.Length; g++)
        {
            _baseLearningRates[g] = optimizer.ParamGroups[g].LearningRate ?? 0f;
        }
    }

    /// <summary>The optimizer being scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>How many times <see cref="Step"/> has been called (PyTorch's <c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The base learning rate of each group.</summary>
    public IReadOnlyList<float> BaseLearningRates => _baseLearningRates;

    /// <summary>The current learning rate of the first group.</summary>
    public float CurrentLearningRate => Optimizer.ParamGroups[0].LearningRate ?? 0f;

    /// <summary>The current learning rate of every group (a new array).</summary>
    public float[] CurrentLearningRates()
    {
        var lrs = new float[Optimizer.ParamGroups.Count];
        for (int g = 0; g < lrs.Length; g++)
        {
            lrs[g] = Optimizer.ParamGroups[g].LearningRate ?? 0f;
        }
        return lrs;
    }

    /// <summary>Advances the counter by one and sets the groups' learning rates for it.</summary>
    public void Step()
    {
        LastEpoch = checked(LastEpoch + 1);
        ApplyLearningRates();
    }

    /// <summary>The learning rate at step <paramref name="epoch"/> for a group whose base learning rate is <paramref name="baseLearningRate"/>.</summary>
    protected abstract double ComputeLearningRate(double baseLearningRate, int epoch);

    /// <summary>The schedule's own parameters as invariant strings (saved, and checked on load).</summary>
    protected abstract IReadOnlyDictionary<string, string> HyperParameters();

    /// <summary>Sets every group's learning rate for <see cref="LastEpoch"/>; derived constructors call it last.</summary>
    protected void ApplyLearningRates()
    {
        var groups = Optimizer.ParamGroups;
        for (int g = 0; g < groups.Count; g++)
        {
            // Clamp tiny negative round-off (e.g. cosine at its end) so the group setter's check holds.
            groups[g].LearningRate = (float)Math.Max(0.0, ComputeLearningRate(_baseLearningRates[g], LastEpoch));
        }
    }

    /// <summary>Formats a float so it parses back to the same value.</summary>
    protected static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Formats an integer invariantly.</summary>
    protected static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The scheduler's state as a string map whose keys all start with <c>scheduler.</c>, so it can share a
    /// safetensors <c>__metadata__</c> map with <see cref="Optimizer.StateDict"/>.
    /// </summary>
    public Dictionary<string, string> StateDict()
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Prefix + "type"] = GetType().Name,
            [Prefix + "last_epoch"] = Format(LastEpoch),
            [Prefix + "group_count"] = Format(_baseLearningRates.Length),
        };
        for (int g = 0; g < _baseLearningRates.Length; g++)
        {
            state[$"{Prefix}base_lr.{Format(g)}"] = Format(_baseLearningRates[g]);
        }
        foreach (var (key, value) in HyperParameters())
        {
            state[Prefix + key] = value;
        }
        return state;
    }

    /// <summary>
    /// Restores a state saved by <see cref="StateDict"/> from a scheduler of the same type and parameters
    /// over an optimizer with the same number of groups, then sets the groups' learning rates for the
    /// restored step. Keys not starting with <c>scheduler.</c> are ignored. Nothing changes if validation fails.
    /// </summary>
    /// <exception cref="ArgumentException">The state is for another scheduler type, other parameters or another group count, or is malformed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, string> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string type = Required(state, "type");
        if (type != GetType().Name)
        {
            throw new ArgumentException($"The state was saved by a {type} scheduler but this is a {GetType().Name}.", nameof(state));
        }
        int groupCount = ParseInt(state, "group_count");
        if (groupCount != _baseLearningRates.Length)
        {
            throw new ArgumentException($"The scheduler state has {groupCount} parameter groups but the optimizer has {_baseLearningRates.Length}.", nameof(state));
        }
        foreach (var (key, expected) in HyperParameters())
        {
            string saved = Required(state, key);
            if (saved != expected)
            {
                throw new ArgumentException($"The scheduler state has {key} = {saved} but this {GetType().Name} has {key} = {expected}.", nameof(state));
            }
        }
        int lastEpoch = ParseInt(state, "last_epoch");
        var baseLrs = new float[groupCount];
        for (int g = 0; g < groupCount; g++)
        {
            string key = $"base_lr.{Format(g)}";
            string s = Required(state, key);
            if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out baseLrs[g]) || !(baseLrs[g] >= 0f) || !float.IsFinite(baseLrs[g]))
            {
                throw new ArgumentException($"The scheduler state entry '{Prefix}{key}' is '{s}', not a finite non-negative number.", nameof(state));
            }
        }
        LastEpoch = lastEpoch;
        baseLrs.CopyTo(_baseLearningRates, 0);
        ApplyLearningRates();
    }

    private static string Required(IReadOnlyDictionary<string, string> state, string key) =>
        state.TryGetValue(Prefix + key, out string? value) && value is not null
            ? value
            : throw new ArgumentException($"The scheduler state has no '{Prefix}{key}' entry.", nameof(state));

    private static int ParseInt(IReadOnlyDictionary<string, string> state, string key)
    {
        string s = Required(state, key);
        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v
            : throw new ArgumentException($"The scheduler state entry '{Prefix}{key}' is '{s}', not a non-negative integer.", nameof(state));
    }
}

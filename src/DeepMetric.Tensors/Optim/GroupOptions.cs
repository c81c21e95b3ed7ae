using System.Globalization;

namespace DeepMetric.Tensors.Optim;

/// <summary>Maps the hyper-parameters of a <see cref="ParamGroup"/> to and from state-dict strings.</summary>
internal static class GroupOptions
{
    internal sealed record Option(string Key, Func<ParamGroup, string?> Get, Action<ParamGroup, string?> Set);

    /// <summary>Every option with its state-dict key (PyTorch's names where they exist).</summary>
    internal static readonly Option[] All =
    [
        FloatOption("lr", g => g.LearningRate, (g, v) => g.LearningRate = v),
        FloatOption("weight_decay", g => g.WeightDecay, (g, v) => g.WeightDecay = v),
        FloatOption("momentum", g => g.Momentum, (g, v) => g.Momentum = v),
        FloatOption("dampening", g => g.Dampening, (g, v) => g.Dampening = v),
        BoolOption("nesterov", g => g.Nesterov, (g, v) => g.Nesterov = v),
        FloatOption("beta1", g => g.Beta1, (g, v) => g.Beta1 = v),
        FloatOption("beta2", g => g.Beta2, (g, v) => g.Beta2 = v),
        FloatOption("eps", g => g.Epsilon, (g, v) => g.Epsilon = v),
        FloatOption("alpha", g => g.Alpha, (g, v) => g.Alpha = v),
        BoolOption("centered", g => g.Centered, (g, v) => g.Centered = v),
        BoolOption("amsgrad", g => g.AmsGrad, (g, v) => g.AmsGrad = v),
    ];

    private static Option FloatOption(string key, Func<ParamGroup, float?> get, Action<ParamGroup, float?> set) =>
        new(
            key,
            g => get(g) is float v ? v.ToString("R", CultureInfo.InvariantCulture) : null,
            (g, s) => set(g, s is null ? null : float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)));

    private static Option BoolOption(string key, Func<ParamGroup, bool?> get, Action<ParamGroup, bool?> set) =>
        new(
            key,
            g => get(g) is bool v ? (v ? "true" : "false") : null,
            (g, s) => set(g, s switch
            {
                null => null,
                "true" => true,
                "false" => false,
                _ => throw new FormatException($"'{s}' is not 'true' or 'false'."),
            }));
}

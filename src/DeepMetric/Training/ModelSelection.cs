using DeepMetric.Evaluation;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Training;

/// <summary>
/// Model selection on validation: the best value of a <see cref="SelectionMetric"/> so far (higher is better), the
/// epoch it came from and a copy of the model's state dict at that epoch.
/// </summary>
internal sealed class ModelSelection(SelectionMetric metric)
{
    public SelectionMetric Metric { get; } = metric;

    /// <summary>NaN before any validation.</summary>
    public double BestValue { get; private set; } = double.NaN;

    public int BestEpoch { get; private set; }

    /// <summary>Null before any validation.</summary>
    public OrderedDictionary<string, Tensor>? BestState { get; private set; }

    /// <summary>Keeps a copy of <paramref name="model"/>'s state when <paramref name="metrics"/> beat the best so far.</summary>
    /// <returns>Whether the selection metric improved.</returns>
    public bool Update(Metrics metrics, int epoch, Module model)
    {
        double value = Metric switch
        {
            SelectionMetric.MapAtR => metrics.MapAtR,
            SelectionMetric.PrecisionAt1 => metrics.PrecisionAt1,
            SelectionMetric.RPrecision => metrics.RPrecision,
            SelectionMetric.Map => metrics.Map,
            SelectionMetric.Mrr => metrics.Mrr,
            _ => throw new InvalidOperationException($"Unknown selection metric {Metric}."),
        };
        // NaN (no valid query) never improves; the first finite value always does.
        if (!double.IsFinite(value) || !(double.IsNaN(BestValue) || value > BestValue))
        {
            return false;
        }
        var copy = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in model.StateDict())
        {
            copy.Add(name, t.Clone());
        }
        BestValue = value;
        BestEpoch = epoch;
        BestState = copy;
        return true;
    }

    /// <summary>Sets the state read from a checkpoint.</summary>
    public void Restore(double bestValue, int bestEpoch, OrderedDictionary<string, Tensor>? bestState)
    {
        BestValue = bestValue;
        BestEpoch = bestEpoch;
        BestState = bestState;
    }
}

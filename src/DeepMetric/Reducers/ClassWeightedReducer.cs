using DeepMetric.Losses;
using DeepMetric.Tensors;

namespace DeepMetric.Reducers;

/// <summary>
/// The mean of the values each multiplied by the weight of its anchor's class, for imbalanced data.
/// Needs terms with <see cref="LossTerm.Anchors"/>.
/// </summary>
public sealed class ClassWeightedReducer : Reducer
{
    private readonly float[] _weights;

    /// <summary>Creates the reducer.</summary>
    /// <param name="weights">Weight of each class label (index = label).</param>
    public ClassWeightedReducer(float[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        foreach (float w in weights)
        {
            if (!float.IsFinite(w) || w < 0)
            {
                throw new ArgumentException("Class weights must be finite and ≥ 0.", nameof(weights));
            }
        }
        _weights = (float[])weights.Clone();
    }

    /// <summary>A copy of the class weights.</summary>
    public float[] Weights => (float[])_weights.Clone();

    /// <inheritdoc/>
    protected override Tensor ReduceCore(Tensor values, LossTerm term, int[] labels)
    {
        var anchors = term.Anchors ?? throw new ArgumentException($"ClassWeightedReducer needs term '{term.Name}' to carry anchor indices.", nameof(term));
        var w = new float[anchors.Length];
        for (int i = 0; i < anchors.Length; i++)
        {
            int label = labels[anchors[i]];
            if ((uint)label >= (uint)_weights.Length)
            {
                throw new ArgumentException($"Label {label} has no class weight (weights given for {_weights.Length} classes).", nameof(labels));
            }
            w[i] = _weights[label];
        }
        return Ops.Mean(Ops.Mul(values, Tensor.Wrap(w, w.Length)));
    }
}

using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Wrappers;

/// <summary>
/// A weighted sum of losses, Σ_k w_k · L_k, each optionally fed by its own miner (as PyTorch Metric Learning's
/// MultipleLosses). Each loss reduces itself with its own reducer and regularizers; the wrapper yields one
/// already-reduced term per loss, named after its position and type. A loss without a miner receives the tuples
/// passed to <see cref="MetricLoss.Compute"/> (or all valid tuples). The wrapped losses are registered as
/// sub-modules, so their parameters are trained and saved. Default weights: 1.
/// </summary>
public sealed class MultipleLosses : MetricLoss, IRandomSourceContainer
{
    private readonly MetricLoss[] _losses;
    private readonly float[] _weights;
    private readonly Miner?[] _miners;

    /// <summary>Creates the combination.</summary>
    /// <param name="losses">The losses (at least one).</param>
    /// <param name="weights">One finite weight per loss, or null for all 1.</param>
    /// <param name="miners">One miner (or null) per loss, or null for none.</param>
    public MultipleLosses(IEnumerable<MetricLoss> losses, IEnumerable<float>? weights = null, IEnumerable<Miner?>? miners = null)
        : this(ToArray(losses), weights?.ToArray(), miners?.ToArray())
    {
    }

    private MultipleLosses(MetricLoss[] losses, float[]? weights, Miner?[]? miners)
    {
        weights ??= Enumerable.Repeat(1f, losses.Length).ToArray();
        if (weights.Length != losses.Length)
        {
            throw new ArgumentException($"Expected one weight per loss ({losses.Length}), got {weights.Length}.", nameof(weights));
        }
        foreach (float w in weights)
        {
            if (!float.IsFinite(w))
            {
                throw new ArgumentException($"Loss weights must be finite; got {w}.", nameof(weights));
            }
        }
        miners ??= new Miner?[losses.Length];
        if (miners.Length != losses.Length)
        {
            throw new ArgumentException($"Expected one miner (or null) per loss ({losses.Length}), got {miners.Length}.", nameof(miners));
        }
        _losses = losses;
        _weights = weights;
        _miners = miners;
        for (int k = 0; k < losses.Length; k++)
        {
            RegisterModule($"loss{k}", losses[k]);
        }
    }

    /// <summary>The wrapped losses.</summary>
    public IReadOnlyList<MetricLoss> Losses => _losses;

    /// <summary>The miners, named <c>miner0</c>, <c>miner1</c>, … by the position of their loss (the losses are child modules).</summary>
    IEnumerable<KeyValuePair<string, object?>> IRandomSourceContainer.RandomComponents =>
        _miners.Select((m, k) => new KeyValuePair<string, object?>($"miner{k.ToString(System.Globalization.CultureInfo.InvariantCulture)}", m));

    /// <summary>The weight of each loss.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The miner of each loss (null entries use the given tuples).</summary>
    public IReadOnlyList<Miner?> Miners => _miners;

    /// <inheritdoc/>
    public override Tensor Compute(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        Tensor? total = null;
        foreach (var term in ComputeTerms(embeddings, labels, tuples, refEmbeddings, refLabels))
        {
            total = total is null ? term.Values : Ops.Add(total, term.Values);
        }
        return total!;
    }

    /// <summary>One already-reduced term per loss, w_k · L_k, named <c>loss{k}_{type}</c>.</summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Class label of each embedding.</param>
    /// <param name="tuples">Tuples for the losses without a miner; null uses all valid tuples.</param>
    /// <param name="refEmbeddings">Optional separate reference set [M, D].</param>
    /// <param name="refLabels">Labels of the reference set.</param>
    public override IReadOnlyList<LossTerm> ComputeTerms(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        var batch = new MetricBatch(embeddings, labels, tuples, refEmbeddings, refLabels);
        var terms = new List<LossTerm>(_losses.Length);
        var reference = batch.SameSet ? null : batch.Reference;
        for (int k = 0; k < _losses.Length; k++)
        {
            var mined = _miners[k]?.Mine(batch.Embeddings, batch.Labels, reference, batch.RefLabelsOrNull) ?? batch.Tuples;
            var value = _losses[k].Compute(batch.Embeddings, batch.Labels, mined, reference, batch.RefLabelsOrNull);
            terms.Add(new LossTerm($"loss{k}_{_losses[k].GetType().Name}", Ops.Mul(value, _weights[k]), LossTermKind.AlreadyReduced));
        }
        return terms;
    }

    private static MetricLoss[] ToArray(IEnumerable<MetricLoss> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var arr = losses.ToArray();
        if (arr.Length == 0)
        {
            throw new ArgumentException("At least one loss is needed.", nameof(losses));
        }
        if (Array.IndexOf(arr, null) >= 0)
        {
            throw new ArgumentException("The losses must not contain null.", nameof(losses));
        }
        return arr;
    }
}

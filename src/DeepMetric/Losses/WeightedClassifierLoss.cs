using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Losses;

/// <summary>
/// Base of the losses that hold a trainable matrix with one row per class (or per class sub-centre / proxy), shape
/// [rows, D]: classifiers (cross-entropy, normalised softmax, ArcFace, CosFace, SphereFace) and proxy losses.
/// It validates the batch (labels in [0, <see cref="NumClasses"/>), embedding size, no reference set), registers the
/// matrix as a parameter and provides the shared pieces: the batch × rows matrix of the loss's
/// <see cref="PairwiseMetricLoss.Distance"/>, per-row cross-entropy and target replacement for margin losses.
/// </summary>
/// <remarks>
/// These losses compare each embedding with the class rows, not with other embeddings, so mined tuples are ignored
/// and a separate reference set is rejected. Optional <see cref="WeightRegularizer"/>s penalise <see cref="Weight"/>:
/// each adds its already-reduced term after the subclass's terms (see <see cref="IHasClassWeights"/>).
/// </remarks>
public abstract class WeightedClassifierLoss : PairwiseMetricLoss, IHasClassWeights
{
    /// <summary>Creates the loss and registers <paramref name="weight"/> as the parameter <paramref name="weightName"/>.</summary>
    /// <param name="numClasses">Number of classes C (labels must be in [0, C)).</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="weightName">State-dict name of the matrix (e.g. "weight", "proxies").</param>
    /// <param name="weight">The initial matrix, a leaf of shape [rows, D] (see <see cref="NewMatrix"/>).</param>
    /// <param name="distance">The distance between embeddings and rows.</param>
    /// <param name="reducer">The reducer.</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix.</param>
    protected WeightedClassifierLoss(int numClasses, int embeddingSize, string weightName, Tensor weight, Distance distance, Reducer reducer,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers, IEnumerable<WeightRegularizer>? weightRegularizers)
        : base(distance, reducer, embeddingRegularizers)
    {
        CheckSizes(numClasses, embeddingSize);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2 || weight.Dim(1) != embeddingSize || weight.Dim(0) % numClasses != 0)
        {
            throw new ArgumentException($"The weight must have shape [k·{numClasses}, {embeddingSize}]; got [{string.Join(", ", weight.Shape)}].", nameof(weight));
        }
        NumClasses = numClasses;
        EmbeddingSize = embeddingSize;
        Weight = RegisterParameter(weightName, weight);
        WeightRegularizers = weightRegularizers?.ToArray() ?? [];
        for (int i = 0; i < WeightRegularizers.Count; i++)
        {
            if (WeightRegularizers[i] is null)
            {
                throw new ArgumentException($"weightRegularizers[{i}] is null.", nameof(weightRegularizers));
            }
        }
    }

    /// <summary>Number of classes C.</summary>
    public int NumClasses { get; }

    /// <summary>Embedding dimension D.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The trainable class matrix [rows, D] (rows = C, or C·K with K sub-centres per class).</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public Tensor ClassWeights => Weight;

    /// <summary>Regularizers of <see cref="Weight"/>, each adding an already-reduced term to the loss.</summary>
    public IReadOnlyList<WeightRegularizer> WeightRegularizers { get; }

    /// <summary>The subclass's terms followed by one term per weight regularizer.</summary>
    /// <remarks>Collected eagerly: some subclasses update state (e.g. centres) during the call.</remarks>
    protected sealed override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var terms = new List<LossTerm>(ComputeClassifierTerms(batch));
        foreach (var regularizer in WeightRegularizers)
        {
            terms.Add(regularizer.Term(Weight));
        }
        return terms;
    }

    /// <summary>The loss's own unreduced terms on a batch (the weight-regularizer terms are appended by the base).</summary>
    protected abstract IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch);

    /// <summary>
    /// Creates a [rows, D] matrix initialised by <paramref name="init"/> from a <see cref="Prng"/> seeded with
    /// <paramref name="seed"/>, after checking the sizes (so subclasses can call it in their base-constructor call).
    /// </summary>
    protected static Tensor NewMatrix(int numClasses, int rowsPerClass, int embeddingSize, ulong seed, Func<Tensor, Prng, Tensor> init)
    {
        ArgumentNullException.ThrowIfNull(init);
        CheckSizes(numClasses, embeddingSize);
        Guard.AtLeast(rowsPerClass, 1);
        return init(Tensor.Zeros(checked(numClasses * rowsPerClass), embeddingSize), new Prng(seed));
    }

    /// <summary>Checks the batch: no reference set, embedding size D, every label in [0, C).</summary>
    /// <exception cref="ArgumentException">A reference set was given or the embedding size differs.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, C).</exception>
    protected void CheckBatch(MetricBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.SameSet)
        {
            throw new ArgumentException($"{GetType().Name} compares embeddings with its class weights and does not use a reference set.", "refEmbeddings");
        }
        if (batch.Embeddings.Dim(1) != EmbeddingSize)
        {
            throw new ArgumentException($"{GetType().Name} was created for embeddings of size {EmbeddingSize}, got [{batch.Count}, {batch.Embeddings.Dim(1)}].", "embeddings");
        }
        CheckLabels(GetType().Name, batch.Labels, NumClasses);
    }

    /// <summary>Throws unless every label is a class index in [0, <paramref name="numClasses"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside [0, numClasses).</exception>
    internal static void CheckLabels(string lossName, int[] labels, int numClasses)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)numClasses)
            {
                throw new ArgumentOutOfRangeException("labels", labels[i], $"{lossName}: labels[{i}] = {labels[i]} is not a class index in [0, {numClasses}) (numClasses = {numClasses}).");
            }
        }
    }

    /// <summary>The [N, rows] matrix of <see cref="PairwiseMetricLoss.Distance"/> between the batch and the rows of <see cref="Weight"/>.</summary>
    protected Tensor WeightMatrix(MetricBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Distance.Pairwise(batch.Embeddings, Weight);
    }

    /// <summary>A classifier weight [C, D] initialised as PyTorch's <c>nn.Linear</c> (Kaiming-uniform with a = √5, i.e. U(±1/√D)).</summary>
    private protected static Tensor LinearWeight(int numClasses, int embeddingSize, ulong seed) =>
        NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.KaimingUniform(t, rng, a: Math.Sqrt(5)));

    /// <summary>A classifier bias [C] ~ U(±1/√D), as PyTorch's <c>nn.Linear</c>.</summary>
    private protected static Tensor LinearBias(int numClasses, int embeddingSize, ulong seed)
    {
        // A second stream so the bias does not repeat the weight's draws.
        var rng = new Prng(seed ^ 0x9E3779B97F4A7C15UL);
        double bound = 1.0 / Math.Sqrt(embeddingSize);
        return Init.Uniform(Tensor.Zeros(numClasses), rng, -bound, bound);
    }

    /// <summary>The logits x·Wᵀ (+ b) [N, C] of a validated batch, with <see cref="PairwiseMetricLoss.Distance"/> a dot product.</summary>
    private protected Tensor LinearLogits(MetricBatch batch, Tensor? bias)
    {
        var logits = WeightMatrix(batch);
        return bias is null ? logits : Ops.Add(logits, bias);
    }

    /// <summary>−log softmax(logits)[i, yᵢ] for every row, as [N]: logsumexp(row) − row[yᵢ] (stable for any scale).</summary>
    protected static Tensor CrossEntropyPerRow(Tensor logits, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        return Ops.Sub(Ops.LogSumExp(logits, 1), Ops.Gather2D(logits, Iota(labels.Length), labels));
    }

    /// <summary>The logits with the target entry of each row, logits[i, yᵢ], replaced by <paramref name="targets"/>[i].</summary>
    protected static Tensor ReplaceTargets(Tensor logits, int[] labels, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(targets);
        int n = logits.Dim(0), c = logits.Dim(1);
        var oneHot = new float[n * c];
        for (int i = 0; i < n; i++)
        {
            oneHot[(i * c) + labels[i]] = 1f;
        }
        return Ops.Where(Tensor.Wrap(oneHot, n, c), Ops.Reshape(targets, n, 1), logits);
    }

    /// <summary>One value per embedding, anchored at its row.</summary>
    protected static LossTerm ElementTerm(string name, Tensor values) => new(name, values, LossTermKind.Element, Iota(values.Size));

    /// <summary>0, 1, …, n − 1.</summary>
    protected static int[] Iota(int n)
    {
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = i;
        }
        return r;
    }

    private static void CheckSizes(int numClasses, int embeddingSize)
    {
        Guard.AtLeast(numClasses, 1);
        Guard.AtLeast(embeddingSize, 1);
    }
}

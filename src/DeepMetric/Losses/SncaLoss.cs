using DeepMetric.Data.Images;
using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// Scalable neighbourhood component analysis of Wu, Efros &amp; Yu, "Improving Generalization via Scalable
/// Neighborhood Component Analysis" (ECCV 2018): NCA on cosine similarities with a temperature,
/// p_ij = exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ), Lᵢ = −log Σ_{j∈C(i)} p_ij, where the neighbours j can come from a
/// memory bank of normalised embeddings of past samples instead of the current batch.
/// </summary>
/// <remarks>
/// Defaults (the paper's): τ = 0.05, cosine similarity, <see cref="MeanReducer"/> over anchors with a same-class
/// neighbour. <see cref="MetricLoss.Compute"/> works within the batch (or against a given reference set).
/// With <c>memorySize</c> &gt; 0 the loss keeps a memory bank (module buffers <c>memory</c> [memorySize, D],
/// <c>memory_labels</c> and <c>memory_filled</c>, saved in checkpoints); <see cref="ComputeWithMemory"/> uses the
/// filled slots as the reference set, excluding each sample's own slot, and then updates the slots of the batch
/// as the paper: v ← normalise(m·v + (1 − m)·normalise(f)) with momentum m = 0.5 (an empty slot takes
/// normalise(f)). While the bank is empty, the loss is computed within the batch.
/// </remarks>
public sealed class SncaLoss : PairwiseMetricLoss
{
    private readonly Tensor? _memory;
    private readonly Tensor? _memoryLabels;
    private readonly Tensor? _memoryFilled;
    private int[]? _selfColumns;

    /// <summary>Creates the loss.</summary>
    /// <param name="temperature">τ (&gt; 0).</param>
    /// <param name="memorySize">Slots of the memory bank (usually the training-set size); 0 for none.</param>
    /// <param name="embeddingSize">Embedding dimension D, required with a memory bank.</param>
    /// <param name="momentum">m of the memory update, in [0, 1).</param>
    /// <param name="distance">Distance (default <see cref="CosineSimilarity"/>).</param>
    /// <param name="reducer">Reducer over anchors (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public SncaLoss(float temperature = 0.05f, int memorySize = 0, int embeddingSize = 0, float momentum = 0.5f,
        Distance? distance = null, Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(distance ?? new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Guard.Positive(temperature);
        Guard.AtLeast(memorySize, 0);
        Guard.InRange(momentum, 0, 1, maxExclusive: true);
        if (memorySize > 0)
        {
            if (embeddingSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(embeddingSize), embeddingSize, "A memory bank needs the embedding dimension (> 0).");
            }
            _memory = RegisterBuffer("memory", Tensor.Zeros(memorySize, embeddingSize));
            _memoryLabels = RegisterBuffer("memory_labels", Tensor.Zeros(memorySize));
            _memoryFilled = RegisterBuffer("memory_filled", Tensor.Zeros(memorySize));
        }
        Temperature = temperature;
        MemorySize = memorySize;
        Momentum = momentum;
    }

    /// <summary>The temperature τ.</summary>
    public float Temperature { get; }

    /// <summary>Number of memory slots (0: no memory bank).</summary>
    public int MemorySize { get; }

    /// <summary>The momentum m of the memory update.</summary>
    public float Momentum { get; }

    /// <summary>
    /// The loss of a batch against the memory bank, then the update of the batch's slots.
    /// </summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Their labels.</param>
    /// <param name="indices">The memory slot of each sample (its index in the training set).</param>
    /// <exception cref="InvalidOperationException">The loss was created without a memory bank.</exception>
    /// <exception cref="ArgumentException">Indices are missing, out of range or repeated, or shapes disagree.</exception>
    public Tensor ComputeWithMemory(Tensor embeddings, int[] labels, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(indices);
        if (_memory is null || _memoryLabels is null || _memoryFilled is null)
        {
            throw new InvalidOperationException("This SncaLoss has no memory bank; create it with memorySize > 0 or call Compute.");
        }
        if (embeddings.Rank != 2 || embeddings.Dim(1) != _memory.Dim(1))
        {
            throw new ArgumentException($"embeddings must be [N, {_memory.Dim(1)}] to match the memory bank; got [{string.Join(", ", embeddings.Shape)}].", nameof(embeddings));
        }
        if (indices.Length != embeddings.Dim(0))
        {
            throw new ArgumentException($"indices has {indices.Length} entries but embeddings has {embeddings.Dim(0)} rows.", nameof(indices));
        }
        var seen = new HashSet<int>();
        foreach (int slot in indices)
        {
            if ((uint)slot >= (uint)MemorySize)
            {
                throw new ArgumentException($"Memory index {slot} is outside [0, {MemorySize}).", nameof(indices));
            }
            if (!seen.Add(slot))
            {
                throw new ArgumentException($"Memory index {slot} appears twice in the batch.", nameof(indices));
            }
        }

        // Reference set: the filled slots; each anchor's own slot is masked out in ComputeTerms.
        var filled = _memoryFilled.ReadOnlySpan;
        var slots = new List<int>(MemorySize);
        for (int k = 0; k < MemorySize; k++)
        {
            if (filled[k] != 0)
            {
                slots.Add(k);
            }
        }
        Tensor loss;
        if (slots.Count == 0)
        {
            loss = Compute(embeddings, labels);
        }
        else
        {
            int[] slotArr = [.. slots];
            var column = new Dictionary<int, int>(slotArr.Length);
            var refLabels = new int[slotArr.Length];
            var ml = _memoryLabels.ReadOnlySpan;
            for (int c = 0; c < slotArr.Length; c++)
            {
                column[slotArr[c]] = c;
                refLabels[c] = (int)ml[slotArr[c]];
            }
            var self = new int[indices.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                self[i] = column.TryGetValue(indices[i], out int c) ? c : -1;
            }
            Tensor reference;
            using (Tensor.NoGrad())
            {
                reference = Ops.IndexSelect(_memory, 0, slotArr);
            }
            _selfColumns = self;
            try
            {
                loss = Compute(embeddings, labels, refEmbeddings: reference, refLabels: refLabels);
            }
            finally
            {
                _selfColumns = null;
            }
        }
        UpdateMemory(embeddings, labels, indices);
        return loss;
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        var (pos, neg) = batch.Masks();
        if (_selfColumns is int[] self && !batch.SameSet)
        {
            pos = WithoutSelf(pos, self);
            neg = WithoutSelf(neg, self);
        }
        var logits = Ops.Mul(LossRows.AsSimilarity(Distance, batch.Matrix(Distance)), 1f / Temperature);
        var (values, anchors) = LossRows.NeighbourhoodLoss(logits, pos, neg);
        yield return new LossTerm("loss", values, LossTermKind.Element, anchors);
    }

    private static Tensor WithoutSelf(Tensor mask, int[] self)
    {
        int m = mask.Dim(1);
        var data = mask.ToArray();
        for (int i = 0; i < self.Length; i++)
        {
            if (self[i] >= 0)
            {
                data[(i * m) + self[i]] = 0f;
            }
        }
        return Tensor.Wrap(data, mask.Dim(0), m);
    }

    private void UpdateMemory(Tensor embeddings, int[] labels, int[] indices)
    {
        int d = _memory!.Dim(1);
        var mem = _memory.Span;
        var lab = _memoryLabels!.Span;
        var fil = _memoryFilled!.Span;
        var e = embeddings.ReadOnlySpan;
        var f = new float[d];
        for (int i = 0; i < indices.Length; i++)
        {
            e.Slice(i * d, d).CopyTo(f);
            Normalize(f);
            var slot = mem.Slice(indices[i] * d, d);
            if (fil[indices[i]] != 0)
            {
                for (int k = 0; k < d; k++)
                {
                    slot[k] = (Momentum * slot[k]) + ((1 - Momentum) * f[k]);
                }
                Normalize(slot);
            }
            else
            {
                f.CopyTo(slot);
            }
            lab[indices[i]] = labels[i];
            fil[indices[i]] = 1f;
        }
    }

    private static void Normalize(Span<float> v)
    {
        double s = 0;
        foreach (float x in v)
        {
            s += (double)x * x;
        }
        float inv = (float)(1 / Math.Max(Math.Sqrt(s), 1e-12));
        System.Numerics.Tensors.TensorPrimitives.Multiply(v, inv, v);
    }
}

using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Wrappers;

/// <summary>
/// Cross-batch memory (Wang, Zhang, Huang &amp; Scott, "Cross-Batch Memory for Embedding Learning", CVPR 2020): a FIFO
/// queue of the last <see cref="MemorySize"/> embeddings and labels serves as the reference set of a wrapped pair or
/// triplet loss, so each anchor sees far more negatives than one batch holds. Embeddings drift slowly late in
/// training, which is what makes the stale entries useful.
/// </summary>
/// <remarks>
/// Each call enqueues the batch (detached) and computes the loss of the batch against the memory, which then
/// holds the batch itself in reference rows 0..N−1 followed by the most recent past entries; the comparisons of an
/// item with its own copy are removed. Gradients flow only through the batch (anchor) side. Tuples passed to
/// <see cref="MetricLoss.Compute"/> index the batch and are used as they are; otherwise the optional miner mines
/// batch × memory (its tuples minus self comparisons), else all pairs are used. The memory is not part of a
/// checkpoint; <see cref="Reset"/> empties it. Default memory size 1024.
/// </remarks>
public sealed class CrossBatchMemory : MetricLoss, IRandomSourceContainer
{
    private readonly MetricLoss _loss;
    private float[] _memory = [];
    private readonly int[] _labels;
    private int _dim;
    private int _count;
    private int _next;

    /// <summary>Wraps a loss.</summary>
    /// <param name="loss">The pair or triplet loss computed against the memory.</param>
    /// <param name="memorySize">Number of entries kept (≥ 1, ≥ the batch size).</param>
    /// <param name="miner">Optional miner, run on batch × memory.</param>
    public CrossBatchMemory(MetricLoss loss, int memorySize = 1024, Miner? miner = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        Guard.AtLeast(memorySize, 1);
        _loss = RegisterModule("loss", loss);
        MemorySize = memorySize;
        Miner = miner;
        _labels = new int[memorySize];
    }

    /// <summary>The wrapped loss.</summary>
    public MetricLoss Loss => _loss;

    /// <summary>Capacity of the memory.</summary>
    public int MemorySize { get; }

    /// <summary>The optional miner.</summary>
    public Miner? Miner { get; }

    /// <summary>The miner, named <c>miner</c> (the wrapped loss is a child module).</summary>
    IEnumerable<KeyValuePair<string, object?>> IRandomSourceContainer.RandomComponents => [new("miner", Miner)];

    /// <summary>Number of entries currently stored.</summary>
    public int Count => _count;

    /// <summary>A copy of the stored embeddings [Count, D], oldest first (empty [0, 0] before the first call).</summary>
    public Tensor MemoryEmbeddings => Tensor.FromArray(Recent(_count, out _), _count, _dim);

    /// <summary>A copy of the stored labels, oldest first.</summary>
    public int[] MemoryLabels
    {
        get
        {
            Recent(_count, out var labels);
            return labels;
        }
    }

    /// <summary>Empties the memory (the embedding dimension may change afterwards).</summary>
    public void Reset()
    {
        _count = 0;
        _next = 0;
        _dim = 0;
        _memory = [];
    }

    /// <inheritdoc/>
    public override Tensor Compute(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        var (batch, reference, memoryLabels, mined) = Prepare(embeddings, labels, tuples, refEmbeddings, refLabels);
        var value = _loss.Compute(batch.Embeddings, batch.Labels, mined, reference, memoryLabels);
        Enqueue(batch.Embeddings.ReadOnlySpan, batch.Labels);
        return value;
    }

    /// <summary>The wrapped loss's terms against the memory (then the batch is enqueued).</summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Class label of each embedding.</param>
    /// <param name="tuples">Tuples indexing the batch; null mines batch × memory (or uses all pairs).</param>
    /// <param name="refEmbeddings">Must be null: the memory is the reference set.</param>
    /// <param name="refLabels">Must be null.</param>
    public override IReadOnlyList<LossTerm> ComputeTerms(Tensor embeddings, int[] labels, MinedTuples? tuples = null, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        var (batch, reference, memoryLabels, mined) = Prepare(embeddings, labels, tuples, refEmbeddings, refLabels);
        var terms = new List<LossTerm>(_loss.ComputeTerms(batch.Embeddings, batch.Labels, mined, reference, memoryLabels));
        if (_loss is PairwiseMetricLoss pairwise)
        {
            // Its unreduced terms leave out the regularizers that its Compute adds.
            foreach (var reg in pairwise.EmbeddingRegularizers)
            {
                terms.Add(new LossTerm(reg.GetType().Name, reg.Compute(batch.Embeddings, batch.Labels), LossTermKind.AlreadyReduced));
            }
        }
        Enqueue(batch.Embeddings.ReadOnlySpan, batch.Labels);
        return terms;
    }

    /// <summary>Checks the batch and builds the reference set [batch (detached); recent memory] and the tuples.</summary>
    private (MetricBatch Batch, Tensor Reference, int[] RefLabels, MinedTuples Tuples) Prepare(Tensor embeddings, int[] labels, MinedTuples? tuples, Tensor? refEmbeddings, int[]? refLabels)
    {
        if (refEmbeddings is not null || refLabels is not null)
        {
            throw new ArgumentException("CrossBatchMemory supplies the reference set itself; do not pass refEmbeddings.", nameof(refEmbeddings));
        }
        var batch = new MetricBatch(embeddings, labels, tuples);
        int n = batch.Count, d = batch.Embeddings.Dim(1);
        if (n > MemorySize)
        {
            throw new ArgumentException($"The batch has {n} rows but the memory holds only {MemorySize}; use memorySize ≥ the batch size.", "embeddings");
        }
        if (_dim == 0)
        {
            _dim = d;
            _memory = new float[MemorySize * d];
        }
        else if (_dim != d)
        {
            throw new ArgumentException($"The embeddings have dimension {d} but the memory holds dimension {_dim} (call Reset to change it).", "embeddings");
        }

        // Reference = [this batch (detached); the most recent past entries that still fit].
        int past = Math.Min(_count, MemorySize - n);
        var pastEmb = Recent(past, out var pastLabels);
        var refData = GC.AllocateUninitializedArray<float>((n + past) * d);
        batch.Embeddings.ReadOnlySpan.CopyTo(refData);
        pastEmb.CopyTo(refData.AsSpan(n * d));
        var memoryLabels = new int[n + past];
        batch.Labels.CopyTo(memoryLabels, 0);
        pastLabels.CopyTo(memoryLabels, n);
        var reference = Tensor.Wrap(refData, n + past, d);

        var mined = batch.Tuples
            ?? WithoutSelf(Miner?.Mine(batch.Embeddings, batch.Labels, reference, memoryLabels) ?? DeepMetric.Tuples.AllPairs(batch.Labels, memoryLabels));
        return (batch, reference, memoryLabels, mined);
    }

    private void Enqueue(ReadOnlySpan<float> emb, int[] labels)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            emb.Slice(i * _dim, _dim).CopyTo(_memory.AsSpan(_next * _dim, _dim));
            _labels[_next] = labels[i];
            _next = (_next + 1) % MemorySize;
        }
        _count = Math.Min(_count + labels.Length, MemorySize);
    }

    /// <summary>The <paramref name="k"/> most recent entries, oldest first.</summary>
    private float[] Recent(int k, out int[] labels)
    {
        var emb = new float[k * _dim];
        labels = new int[k];
        int start = ((_next - k) % MemorySize + MemorySize) % MemorySize;
        for (int t = 0; t < k; t++)
        {
            int slot = (start + t) % MemorySize;
            _memory.AsSpan(slot * _dim, _dim).CopyTo(emb.AsSpan(t * _dim, _dim));
            labels[t] = _labels[slot];
        }
        return emb;
    }

    /// <summary>Removes the comparisons of batch item i with its own copy, reference row i.</summary>
    private static MinedTuples WithoutSelf(MinedTuples tuples)
    {
        switch (tuples)
        {
            case PairTuples p:
            {
                var (a1, pp) = Filter(p.PosAnchors, p.Positives);
                var (a2, nn) = Filter(p.NegAnchors, p.Negatives);
                return new PairTuples(a1, pp, a2, nn);
            }
            case TripletTuples t:
            {
                List<int> a = [], pos = [], neg = [];
                for (int k = 0; k < t.Count; k++)
                {
                    if (t.Anchors[k] != t.Positives[k] && t.Anchors[k] != t.Negatives[k])
                    {
                        a.Add(t.Anchors[k]);
                        pos.Add(t.Positives[k]);
                        neg.Add(t.Negatives[k]);
                    }
                }
                return new TripletTuples([.. a], [.. pos], [.. neg]);
            }
            default:
                throw new InvalidOperationException($"Unsupported tuple type {tuples.GetType().Name}.");
        }
    }

    private static (int[] Anchors, int[] Others) Filter(int[] anchors, int[] others)
    {
        List<int> a = [], o = [];
        for (int k = 0; k < anchors.Length; k++)
        {
            if (anchors[k] != others[k])
            {
                a.Add(anchors[k]);
                o.Add(others[k]);
            }
        }
        return ([.. a], [.. o]);
    }
}

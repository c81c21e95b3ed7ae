using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;

namespace DeepMetric.Losses;

/// <summary>
/// Center loss of Wen et al., "A Discriminative Feature Learning Approach for Deep Face Recognition" (ECCV 2016):
/// ℓᵢ = ½‖xᵢ − c_yᵢ‖², with one centre c_j per class. The centres are not trained by the optimizer: after each
/// computation in training mode they move towards the batch features with the paper's rule
/// Δc_j = Σ_{i: yᵢ=j} (c_j − xᵢ) / (1 + n_j),  c_j ← c_j − α·Δc_j,
/// where n_j is the number of batch embeddings of class j (classes absent from the batch do not move).
/// </summary>
/// <remarks>
/// <para>The paper sums ½‖xᵢ − c_yᵢ‖² over the mini-batch; the default <see cref="MeanReducer"/> averages it (a constant
/// factor 1/N, as for the softmax term it is combined with; see <see cref="CenterLossWithCrossEntropy"/>). The loss is
/// computed with the centres as they were before the update; its gradient is xᵢ − c_yᵢ for the embeddings only.</para>
/// <para>Defaults: α = 0.5 (the paper's), centres [C, D] start at 0, squared Euclidean distance on unnormalised
/// embeddings. The centres are the registered buffer <c>centers</c> (saved in checkpoints, not a parameter). The
/// update copies the embedding values, so the batch tensor may be recycled afterwards; it is skipped in evaluation mode
/// (<see cref="DeepMetric.Tensors.Nn.Module.Eval"/>). Used alone the loss has a trivial minimum (all features and
/// centres at 0); the paper always combines it with softmax cross-entropy. Mined tuples are ignored and a separate
/// reference set is rejected.</para>
/// </remarks>
public sealed class CenterLoss : PairwiseMetricLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="alpha">α in [0, 1], the centre learning rate.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    public CenterLoss(int numClasses, int embeddingSize, float alpha = 0.5f, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null)
        : base(SquaredEuclidean(), reducer ?? new MeanReducer(), embeddingRegularizers)
    {
        Centers = RegisterBuffer("centers", NewCenters(numClasses, embeddingSize));
        NumClasses = numClasses;
        EmbeddingSize = embeddingSize;
        Alpha = CheckAlpha(alpha);
    }

    /// <summary>Number of classes C.</summary>
    public int NumClasses { get; }

    /// <summary>Embedding dimension D.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The centre learning rate α.</summary>
    public float Alpha { get; }

    /// <summary>The class centres [C, D] (a buffer, updated in place).</summary>
    public Tensor Centers { get; }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeTerms(MetricBatch batch)
    {
        // Not an iterator: the update must happen during this call, after the loss has read the old centres.
        CheckBatch(GetType().Name, batch, NumClasses, EmbeddingSize);
        var values = HalfSquaredDistances(batch.Embeddings, batch.Labels, Centers);
        if (IsTraining)
        {
            UpdateCenters(Centers, batch.Embeddings, batch.Labels, Alpha);
        }
        return [new LossTerm("loss", values, LossTermKind.Element, Iota(batch.Count))];
    }

    /// <summary>The distance the loss uses: squared Euclidean on unnormalised embeddings.</summary>
    internal static Distance SquaredEuclidean() => new LpDistance(p: 2f, normalizeEmbeddings: false, power: 2f);

    /// <summary>A zero [C, D] centre matrix after checking the sizes.</summary>
    internal static Tensor NewCenters(int numClasses, int embeddingSize)
    {
        Guard.AtLeast(numClasses, 1);
        Guard.AtLeast(embeddingSize, 1);
        return Tensor.Zeros(numClasses, embeddingSize);
    }

    internal static float CheckAlpha(float alpha)
    {
        Guard.InRange(alpha, 0f, 1f);
        return alpha;
    }

    /// <summary>Checks the batch: no reference set, embedding size D, labels in [0, C).</summary>
    internal static void CheckBatch(string lossName, MetricBatch batch, int numClasses, int embeddingSize)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.SameSet)
        {
            throw new ArgumentException($"{lossName} compares embeddings with class centres and does not use a reference set.", "refEmbeddings");
        }
        if (batch.Embeddings.Dim(1) != embeddingSize)
        {
            throw new ArgumentException($"{lossName} was created for embeddings of size {embeddingSize}, got [{batch.Count}, {batch.Embeddings.Dim(1)}].", "embeddings");
        }
        WeightedClassifierLoss.CheckLabels(lossName, batch.Labels, numClasses);
    }

    /// <summary>½‖xᵢ − c_yᵢ‖² for every row [N], differentiable in the embeddings only.</summary>
    internal static Tensor HalfSquaredDistances(Tensor embeddings, int[] labels, Tensor centers)
    {
        // Gathered into a fresh constant so nothing in the graph refers to the centre buffer, which is about to change.
        int n = labels.Length, d = centers.Dim(1);
        var gathered = GC.AllocateUninitializedArray<float>(n * d);
        var c = centers.ReadOnlySpan;
        for (int i = 0; i < n; i++)
        {
            c.Slice(labels[i] * d, d).CopyTo(gathered.AsSpan(i * d, d));
        }
        var diff = Ops.Sub(embeddings, Tensor.Wrap(gathered, n, d));
        return Ops.Mul(Ops.Sum(Ops.Mul(diff, diff), 1), 0.5f);
    }

    /// <summary>The paper's centre update c_j ← c_j − α Σ_{yᵢ=j}(c_j − xᵢ)/(1 + n_j), in place, reading the embedding values.</summary>
    internal static void UpdateCenters(Tensor centers, Tensor embeddings, int[] labels, float alpha)
    {
        int n = labels.Length, classes = centers.Dim(0), d = centers.Dim(1);
        var x = embeddings.ReadOnlySpan;
        var c = centers.Span;
        // Per class: n_j and Σ xᵢ in double; Σ(c_j − xᵢ) = n_j·c_j − Σ xᵢ.
        var counts = new int[classes];
        var sums = new double[classes * d];
        for (int i = 0; i < n; i++)
        {
            int j = labels[i];
            counts[j]++;
            var row = x.Slice(i * d, d);
            for (int k = 0; k < d; k++)
            {
                sums[(j * d) + k] += row[k];
            }
        }
        for (int j = 0; j < classes; j++)
        {
            if (counts[j] == 0)
            {
                continue;
            }
            double scale = alpha / (1.0 + counts[j]);
            for (int k = 0; k < d; k++)
            {
                int at = (j * d) + k;
                double delta = (counts[j] * (double)c[at]) - sums[at];
                c[at] = (float)(c[at] - (scale * delta));
            }
        }
    }

    private static int[] Iota(int n)
    {
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = i;
        }
        return r;
    }
}

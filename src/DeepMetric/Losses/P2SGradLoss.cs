using DeepMetric.Distances;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// P2SGrad loss of Zhang et al., "P2SGrad: Refined Gradients for Optimizing Deep Face Models" (CVPR 2019), in its
/// mean-squared-error form: with cos θᵢ,c = x̂ᵢ·Ŵ_c (normalised embedding and class weight),
/// ℓᵢ = (1/C) Σ_c (cos θᵢ,c − 1[c = yᵢ])², averaged over the batch: PyTorch Metric Learning's <c>MSELoss(cos, onehot)</c>
/// over all N·C entries.
/// </summary>
/// <remarks>
/// <para>As PML 2.8.1, each call first rescales the class rows of <see cref="WeightedClassifierLoss.Weight"/> to unit
/// norm in place (no gradient through that step), then cos θ = x·W_c / ‖x‖ clamped to [−1, 1].
/// With <c>halfSum: true</c> the value is ½ Σ_c (…)² per sample instead, whose gradient is exactly the paper's P2SGrad
/// (C/2 times PML's).</para>
/// <para>Defaults: W [C, D] ~ N(0, 1) (only its direction matters), mean over the batch. A zero embedding has cosine 0
/// with every class (finite gradient). Parameter: <c>weight</c>.</para>
/// </remarks>
public sealed class P2SGradLoss : WeightedClassifierLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    /// <param name="halfSum">½ Σ over classes per sample (the paper's gradient) instead of PML's mean over classes.</param>
    public P2SGradLoss(int numClasses, int embeddingSize, ulong seed = 0, Reducer? reducer = null,
        IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null, bool halfSum = false)
        : base(numClasses, embeddingSize, "weight", NewMatrix(numClasses, 1, embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            new CosineSimilarity(), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        HalfSum = halfSum;
    }

    /// <summary>True for ½ Σ over classes per sample, false for PML's mean over classes.</summary>
    public bool HalfSum { get; }

    /// <summary>The [N, C] cosines between the batch and each class (e.g. for classification).</summary>
    public Tensor Cosines(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Distance.Pairwise(embeddings, Weight);
    }

    /// <inheritdoc/>
    protected override IEnumerable<LossTerm> ComputeClassifierTerms(MetricBatch batch)
    {
        CheckBatch(batch);
        int n = batch.Count, c = NumClasses;
        var oneHot = new float[n * c];
        for (int i = 0; i < n; i++)
        {
            oneHot[(i * c) + batch.Labels[i]] = 1f;
        }
        RenormalizeRows(Weight);
        var x = batch.Embeddings;
        var norm = Ops.Sqrt(Ops.Sum(Ops.Mul(x, x), 1, keepDim: true));
        var cos = Ops.Clamp(Ops.Div(Ops.Matmul(x, Weight, transA: false, transB: true), Ops.Clamp(norm, min: 1e-12f)), -1f, 1f);
        var diff = Ops.Sub(cos, Tensor.Wrap(oneHot, n, c));
        yield return ElementTerm("loss", Ops.Mul(Ops.Sum(Ops.Mul(diff, diff), 1), HalfSum ? 0.5f : 1f / c));
    }

    // Each class row scaled to unit L2 norm in place, outside the graph (PML's renorm of its weight before each call).
    private static void RenormalizeRows(Tensor w)
    {
        int rows = w.Dim(0), d = w.Dim(1);
        var span = w.Span;
        for (int r = 0; r < rows; r++)
        {
            var row = span.Slice(r * d, d);
            double s = 0;
            foreach (float v in row)
            {
                s += (double)v * v;
            }
            if (s > 0)
            {
                float inv = (float)(1 / Math.Sqrt(s));
                for (int k = 0; k < d; k++)
                {
                    row[k] *= inv;
                }
            }
        }
    }
}

using DeepMetric.Internal;
using DeepMetric.Reducers;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Losses;

/// <summary>
/// Sub-centre ArcFace of Deng et al., "Sub-center ArcFace: Boosting Face Recognition by Large-Scale Noisy Web Faces"
/// (ECCV 2020): each class has K sub-centres; the class cosine is the largest over its sub-centres,
/// cos θᵢ,c = max_k x̂ᵢ·Ŵ_{c,k}, followed by the ArcFace loss (<see cref="ArcFaceLoss"/>, same margin handling).
/// </summary>
/// <remarks>
/// Defaults: K = 3, s = 64, m = 0.5, W [C·K, D] ~ N(0, 1) with row c·K + k holding sub-centre k of class c, mean over
/// the batch. The gradient of the max goes to the winning sub-centre. The paper's second stage (dropping
/// non-dominant sub-centres and outliers) is not part of the loss. Parameter: <c>weight</c>.
/// </remarks>
public sealed class SubCenterArcFaceLoss : AngularMarginLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="numClasses">Number of classes C.</param>
    /// <param name="embeddingSize">Embedding dimension D.</param>
    /// <param name="subCenters">K ≥ 1 sub-centres per class.</param>
    /// <param name="margin">m in degrees, in [0, 90] (default 28.6°, as PML).</param>
    /// <param name="scale">s.</param>
    /// <param name="seed">Seed of the initialisation.</param>
    /// <param name="reducer">Reducer (default <see cref="MeanReducer"/>).</param>
    /// <param name="embeddingRegularizers">Optional embedding regularizers.</param>
    /// <param name="weightRegularizers">Optional regularizers of the class matrix (see <see cref="IHasClassWeights"/>).</param>
    public SubCenterArcFaceLoss(int numClasses, int embeddingSize, int subCenters = 3, float margin = 28.6f, float scale = 64f, ulong seed = 0,
        Reducer? reducer = null, IEnumerable<EmbeddingRegularizer>? embeddingRegularizers = null, IEnumerable<WeightRegularizer>? weightRegularizers = null)
        : base(numClasses, embeddingSize,
            NewMatrix(numClasses, Guard.AtLeast(subCenters, 1), embeddingSize, seed, static (t, rng) => Init.Normal(t, rng)),
            scale, ArcFaceLoss.CheckArcMargin(margin), reducer ?? new MeanReducer(), embeddingRegularizers, weightRegularizers)
    {
        SubCenters = subCenters;
    }

    /// <summary>The number K of sub-centres per class.</summary>
    public int SubCenters { get; }

    /// <inheritdoc/>
    protected override Tensor ClassCosines(Tensor rowCosines)
    {
        ArgumentNullException.ThrowIfNull(rowCosines);
        if (SubCenters == 1)
        {
            return rowCosines;
        }
        int n = rowCosines.Dim(0);
        return Ops.Max(Ops.Reshape(rowCosines, n, NumClasses, SubCenters), 2);
    }

    /// <inheritdoc/>
    protected override Tensor ApplyMargin(Tensor targetCosines) => ArcFaceLoss.AdditiveAngularMargin(targetCosines, ArcFaceLoss.Radians(Margin), easyMargin: false);
}

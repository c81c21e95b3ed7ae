using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// The exclusive regularization of RegularFace (Zhao, Wang, Xu, Zhuo &amp; Mei, "RegularFace: Deep Face Recognition
/// via Exclusive Regularization", CVPR 2019): spreads the class weights apart by penalising, for each class, the
/// cosine similarity to its nearest other class, (1/C) Σ_i max_{j≠i} cos(w_i, w_j). A single class gives 0.
/// Default weight 1.
/// </summary>
public sealed class RegularFaceRegularizer : WeightRegularizer
{
    /// <summary>Creates the regularizer.</summary>
    /// <param name="weight">Multiplier of the penalty.</param>
    public RegularFaceRegularizer(float weight = 1f) : base(weight) { }

    /// <inheritdoc/>
    protected override Tensor Penalty(Tensor classWeights)
    {
        int c = classWeights.Dim(0);
        var w = Ops.L2Normalize(classWeights, axis: 1);
        var cos = Ops.Matmul(w, w, transA: false, transB: true);
        var offDiagonal = new float[c * c];
        Array.Fill(offDiagonal, 1f);
        for (int i = 0; i < c; i++)
        {
            offDiagonal[(i * c) + i] = 0f;
        }
        // Masked max: the diagonal (self-similarity 1) never wins; a single class has an empty row → 0.
        return Ops.Mean(Ops.Max(cos, 1, mask: Tensor.Wrap(offDiagonal, c, c)));
    }
}

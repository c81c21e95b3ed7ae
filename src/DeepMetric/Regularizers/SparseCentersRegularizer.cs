using DeepMetric.Internal;
using DeepMetric.Tensors;

namespace DeepMetric.Regularizers;

/// <summary>
/// The centre regulariser of SoftTriple (Qian, Shang, Sun, Hu, Li &amp; Jin, "SoftTriple Loss: Deep Metric Learning
/// Without Triplet Sampling", ICCV 2019, Eq. 12): K centres per class are merged when redundant by penalising
/// Σ_c Σ_{t&lt;s} √(2 + δ − 2 ⟨w_c^t, w_c^s⟩) on L2-normalised centres, divided by C·K·(K − 1), with δ = 10⁻⁵ keeping
/// the square root differentiable when two centres coincide. Rows are class-major: centre t of class c is row c·K + t.
/// Default weight 1 (the paper's τ is the loss's weight on this term).
/// </summary>
public sealed class SparseCentersRegularizer : WeightRegularizer
{
    private const float Delta = 1e-5f;

    /// <summary>Creates the regularizer.</summary>
    /// <param name="numClasses">C (≥ 1).</param>
    /// <param name="centersPerClass">K (≥ 1).</param>
    /// <param name="weight">Multiplier of the penalty.</param>
    public SparseCentersRegularizer(int numClasses, int centersPerClass, float weight = 1f) : base(weight)
    {
        Guard.AtLeast(numClasses, 1);
        Guard.AtLeast(centersPerClass, 1);
        NumClasses = numClasses;
        CentersPerClass = centersPerClass;
    }

    /// <summary>C, the number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>K, the centres per class.</summary>
    public int CentersPerClass { get; }

    /// <inheritdoc/>
    protected override Tensor Penalty(Tensor classWeights)
    {
        int k = CentersPerClass;
        if (classWeights.Dim(0) != NumClasses * k)
        {
            throw new ArgumentException($"Expected {NumClasses}×{k} = {NumClasses * k} centre rows, got {classWeights.Dim(0)}.", nameof(classWeights));
        }
        if (k == 1)
        {
            return Ops.Mul(Ops.Sum(classWeights), 0f);
        }
        int pairs = NumClasses * k * (k - 1) / 2;
        var rows = new int[pairs];
        var cols = new int[pairs];
        int idx = 0;
        for (int c = 0; c < NumClasses; c++)
        {
            for (int t = 0; t < k; t++)
            {
                for (int s = t + 1; s < k; s++)
                {
                    rows[idx] = (c * k) + t;
                    cols[idx] = (c * k) + s;
                    idx++;
                }
            }
        }
        var w = Ops.L2Normalize(classWeights, axis: 1);
        var sim = Ops.Gather2D(Ops.Matmul(w, w, transA: false, transB: true), rows, cols);
        var dist = Ops.Sqrt(Ops.RSub(2f + Delta, Ops.Mul(sim, 2f)));
        return Ops.Mul(Ops.Sum(dist), 1f / (NumClasses * k * (k - 1)));
    }
}

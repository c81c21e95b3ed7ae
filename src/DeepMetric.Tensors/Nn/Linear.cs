using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b with W of shape [out, in] (PyTorch's layout and parameter names
/// <c>weight</c>, <c>bias</c>). Accepts [N, in], [in] or [*, in] inputs.
/// </summary>
/// <remarks>
/// Initialised like PyTorch: W ~ Kaiming-uniform with a = √5, i.e. U(±1/√in), and b ~ U(±1/√in).
/// </remarks>
public sealed class Linear : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inFeatures">Input size (≥ 1).</param>
    /// <param name="outFeatures">Output size (≥ 1).</param>
    /// <param name="bias">Whether to add a learned bias.</param>
    /// <param name="rng">Generator for the initial values; null uses a fixed seed derived from the sizes.</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Prng? rng = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        rng ??= Init.DefaultRng(1, inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Zeros(outFeatures, inFeatures), rng, a: Math.Sqrt(5)));
        if (bias)
        {
            double bound = 1.0 / Math.Sqrt(inFeatures);
            Bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros(outFeatures), rng, -bound, bound));
        }
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }

    /// <summary>Output size.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight of shape [out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias of shape [out], or null when created without one.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Dims[^1] != InFeatures)
        {
            throw new ArgumentException($"Linear({InFeatures}, {OutFeatures}) expects input of shape [*, {InFeatures}], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        if (x.Rank == 2)
        {
            return Ops.Linear(x, Weight, Bias);
        }
        // Fold leading dimensions into the batch (zero-copy reshapes) and restore them afterwards.
        var outDims = (int[])x.Dims.Clone();
        outDims[^1] = OutFeatures;
        var y = Ops.Linear(Ops.Reshape(x, x.Size / InFeatures, InFeatures), Weight, Bias);
        return Ops.Reshape(y, outDims);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Linear(in={InFeatures}, out={OutFeatures}, bias={Bias is not null})";
}

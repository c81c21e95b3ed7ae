namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Batch normalisation (Ioffe &amp; Szegedy, 2015) of [N, C] inputs (features of a fully connected layer); see <see cref="BatchNormBase"/>.
/// </summary>
public sealed class BatchNorm1d : BatchNormBase
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numFeatures">Number of channels C.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">Weight of the new batch statistic in the running averages.</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
        : base(numFeatures, eps, momentum, affine)
    {
    }

    private protected override int ExpectedRank => 2;

    private protected override string ExpectedShape => $"[N, {NumFeatures}]";
}

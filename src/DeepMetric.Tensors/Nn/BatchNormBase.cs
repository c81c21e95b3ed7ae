namespace DeepMetric.Tensors.Nn;

/// <summary>
/// Shared implementation of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (Ioffe &amp; Szegedy, 2015):
/// per-channel normalisation with batch statistics in training and running statistics in evaluation.
/// </summary>
/// <remarks>
/// State names match PyTorch: parameters <c>weight</c>, <c>bias</c> (when affine), buffers <c>running_mean</c>,
/// <c>running_var</c> and the scalar <c>num_batches_tracked</c>.
/// </remarks>
public abstract class BatchNormBase : Module
{
    private readonly float[] _batchesTracked;

    private protected BatchNormBase(int numFeatures, float eps, float momentum, bool affine)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        if (!(eps > 0) || !float.IsFinite(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite positive number.");
        }
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must lie in [0, 1].");
        }
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(numFeatures));
            Bias = RegisterParameter("bias", Tensor.Zeros(numFeatures));
        }
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(numFeatures));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(numFeatures));
        _batchesTracked = [0f];
        RegisterBuffer("num_batches_tracked", new Tensor(_batchesTracked, []));
    }

    /// <summary>Number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public float Eps { get; }

    /// <summary>Weight of the new batch statistic in the running averages.</summary>
    public float Momentum { get; }

    /// <summary>Per-channel scale γ, or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>Per-channel shift β, or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean (buffer).</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running (unbiased) variance (buffer).</summary>
    public Tensor RunningVar { get; }

    /// <summary>Number of training batches seen (a buffer, kept for compatibility with PyTorch state dicts).</summary>
    public long NumBatchesTracked => (long)_batchesTracked[0];

    private protected abstract int ExpectedRank { get; }

    private protected abstract string ExpectedShape { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != ExpectedRank || x.Dims[1] != NumFeatures)
        {
            throw new ArgumentException($"{GetType().Name}({NumFeatures}) expects input of shape {ExpectedShape}, got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        var y = Ops.BatchNorm(x, Weight, Bias, RunningMean, RunningVar, IsTraining, Momentum, Eps);
        if (IsTraining)
        {
            _batchesTracked[0]++;
        }
        return y;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}({NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Weight is not null})";
}

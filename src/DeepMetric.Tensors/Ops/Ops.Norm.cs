using System.Numerics.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Batch normalisation (Ioffe &amp; Szegedy, 2015) over [N, C] or [N, C, H, W]. In training, batch statistics are
    /// used and the running statistics updated in place with <paramref name="momentum"/>; in evaluation the running ones.
    /// </summary>
    /// <remarks>
    /// As in PyTorch, the batch variance used for normalising is biased (÷M) while the running variance is updated
    /// with the unbiased one (÷(M−1)), M = N·H·W: <c>running = (1 − momentum)·running + momentum·batch</c>.
    /// Running statistics receive no gradient.
    /// </remarks>
    public static Tensor BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, bool training,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        var (n, c, spatial) = CheckBatchNormInputs("BatchNorm", x, weight, bias, runningMean, runningVar);
        int m = n * spatial;
        if (!(momentum >= 0f && momentum <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "BatchNorm: momentum must be in [0, 1].");
        }
        CheckEps("BatchNorm", eps);
        if (!training)
        {
            // The stored statistics: FrozenBatchNorm computes these values and gradients, bit for bit, in one pass each way.
            return FrozenBatchNorm(x, weight, bias, runningMean, runningVar, eps);
        }
        if (m < 2)
        {
            throw new ArgumentException($"BatchNorm: training needs more than one value per channel, got input {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }

        var xs = x.ReadOnlySpan;
        // Per-channel batch mean and inverse standard deviation; the running statistics move towards them.
        var mean = TensorBuffers.Zeroed(c);
        var invStd = TensorBuffers.Zeroed(c);
        var rm = runningMean.Span;
        var rv = runningVar.Span;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += SumDouble(xs.Slice(((i * c) + ch) * spatial, spatial));
            }
            double mu = sum / m, sq = 0;
            for (int i = 0; i < n; i++)
            {
                var row = xs.Slice(((i * c) + ch) * spatial, spatial);
                for (int s = 0; s < row.Length; s++)
                {
                    double d = row[s] - mu;
                    sq += d * d;
                }
            }
            double variance = sq / m;
            mean[ch] = (float)mu;
            invStd[ch] = (float)(1.0 / Math.Sqrt(variance + eps));
            rm[ch] = (float)(((1.0 - momentum) * rm[ch]) + (momentum * mu));
            rv[ch] = (float)(((1.0 - momentum) * rv[ch]) + (momentum * sq / (m - 1)));
        }

        var y = TensorBuffers.Uninitialized(x.Size);
        var scales = new float[c];
        var shifts = new float[c];
        BatchNormAffine(weight, bias, mean, invStd, scales, shifts);
        var xb = x.Buffer;
        int xOff = x.Offset;
        // Planes split over the worker ranges; each plane's two passes run while it is still in cache.
        KernelThreads.For(n * c, (_, start, end) =>
        {
            for (int plane = start; plane < end; plane++)
            {
                int ch = plane % c, at = plane * spatial;
                var yr = y.AsSpan(at, spatial);
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(xb, xOff + at, spatial), scales[ch], yr);
                TensorPrimitives.Add(yr, shifts[ch], yr);
            }
        });

        Tensor[] inputs = AffineInputs(x, weight, bias);
        int[] dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "BatchNorm", inputs, g =>
        {
            var gs = g.ReadOnlySpan;
            var xv = x.ReadOnlySpan;
            var dx = x.RequiresGrad ? TensorBuffers.Uninitialized(x.Size) : null;
            var dGamma = TensorBuffers.Zeroed(c);
            var dBeta = TensorBuffers.Zeroed(c);
            for (int ch = 0; ch < c; ch++)
            {
                // Σg and Σg·(x − μ) over the channel.
                double sg = 0, sgx = 0;
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * spatial;
                    var gr = gs.Slice(at, spatial);
                    sg += SumDouble(gr);
                    sgx += TensorPrimitives.Dot(gr, xv.Slice(at, spatial));
                }
                sgx -= mean[ch] * sg;
                double inv = invStd[ch], gamma = weight is null ? 1.0 : weight.ReadOnlySpan[ch];
                dBeta[ch] = (float)sg;
                dGamma[ch] = (float)(sgx * inv);
                if (dx is null)
                {
                    continue;
                }
                // dx = a·g + b·x + k: the batch statistics add the two mean terms.
                double a = gamma * inv, bx = -gamma * inv * inv * inv * sgx / m;
                double k = (-gamma * inv * sg / m) - (bx * mean[ch]);
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * spatial;
                    var d = dx.AsSpan(at, spatial);
                    TensorPrimitives.Multiply(gs.Slice(at, spatial), (float)a, d);
                    TensorPrimitives.MultiplyAdd(xv.Slice(at, spatial), (float)bx, d, d);
                    TensorPrimitives.Add(d, (float)k, d);
                }
            }
            if (dx is not null)
            {
                x.AccumulateGrad(new Tensor(dx, dims));
            }
            weight?.AccumulateGrad(new Tensor(dGamma, [c]));
            bias?.AccumulateGrad(new Tensor(dBeta, [c]));
        });
    }

    /// <summary>Layer normalisation (Ba et al., 2016) over the last dimension.</summary>
    /// <remarks>Uses the biased variance of each row; <paramref name="weight"/> and <paramref name="bias"/> are [D] (D = last dimension).</remarks>
    public static Tensor LayerNorm(Tensor x, Tensor? weight, Tensor? bias, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 1 || x.Dims[^1] == 0)
        {
            throw new ArgumentException($"LayerNorm: input needs a non-empty last dimension, got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        int d = x.Dims[^1], rows = x.Size / d;
        CheckChannelVector("LayerNorm", weight, d, nameof(weight));
        CheckChannelVector("LayerNorm", bias, d, nameof(bias));
        CheckEps("LayerNorm", eps);
        var xs = x.ReadOnlySpan;
        var y = TensorBuffers.Uninitialized(x.Size);
        var mean = TensorBuffers.Zeroed(rows);
        var invStd = TensorBuffers.Zeroed(rows);
        for (int r = 0; r < rows; r++)
        {
            var row = xs.Slice(r * d, d);
            double mu = SumDouble(row) / d, sq = 0;
            for (int i = 0; i < d; i++)
            {
                double t = row[i] - mu;
                sq += t * t;
            }
            mean[r] = (float)mu;
            invStd[r] = (float)(1.0 / Math.Sqrt((sq / d) + eps));
            var yr = y.AsSpan(r * d, d);
            TensorPrimitives.Subtract(row, mean[r], yr);
            TensorPrimitives.Multiply(yr, invStd[r], yr);
            if (weight is not null)
            {
                TensorPrimitives.Multiply(yr, weight.ReadOnlySpan, yr);
            }
            if (bias is not null)
            {
                TensorPrimitives.Add(yr, bias.ReadOnlySpan, yr);
            }
        }

        Tensor[] inputs = AffineInputs(x, weight, bias);
        int[] dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "LayerNorm", inputs, g =>
        {
            var gs = g.ReadOnlySpan;
            var xv = x.ReadOnlySpan;
            var dx = x.RequiresGrad ? TensorBuffers.Uninitialized(x.Size) : null;
            var dGamma = weight is not null && weight.RequiresGrad ? new double[d] : null;
            var dBeta = bias is not null && bias.RequiresGrad ? new double[d] : null;
            var xhat = TensorBuffers.Zeroed(d);
            var dxhat = TensorBuffers.Zeroed(d);
            for (int r = 0; r < rows; r++)
            {
                var gr = gs.Slice(r * d, d);
                TensorPrimitives.Subtract(xv.Slice(r * d, d), mean[r], xhat);
                TensorPrimitives.Multiply(xhat, invStd[r], xhat);
                for (int i = 0; i < d; i++)
                {
                    if (dGamma is not null)
                    {
                        dGamma[i] += (double)gr[i] * xhat[i];
                    }
                    if (dBeta is not null)
                    {
                        dBeta[i] += gr[i];
                    }
                }
                if (dx is null)
                {
                    continue;
                }
                if (weight is not null)
                {
                    TensorPrimitives.Multiply(gr, weight.ReadOnlySpan, dxhat);
                }
                else
                {
                    gr.CopyTo(dxhat);
                }
                // dx = invσ·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·γ.
                double mg = SumDouble(dxhat) / d;
                double mgx = TensorPrimitives.Dot(dxhat, xhat) / (double)d;
                var dr = dx.AsSpan(r * d, d);
                TensorPrimitives.MultiplyAdd(xhat, (float)-mgx, dxhat, dr);
                TensorPrimitives.Add(dr, (float)-mg, dr);
                TensorPrimitives.Multiply(dr, invStd[r], dr);
            }
            if (dx is not null)
            {
                x.AccumulateGrad(new Tensor(dx, dims));
            }
            if (dGamma is not null)
            {
                weight!.AccumulateGrad(new Tensor(ToFloat(dGamma), [d]));
            }
            if (dBeta is not null)
            {
                bias!.AccumulateGrad(new Tensor(ToFloat(dBeta), [d]));
            }
        });
    }

    // The graph inputs of a normalisation: x, then the optional affine weight and bias that are present.
    private static Tensor[] AffineInputs(Tensor x, Tensor? weight, Tensor? bias) => (weight, bias) switch
    {
        (null, null) => [x],
        (not null, null) => [x, weight],
        (null, not null) => [x, bias],
        _ => [x, weight, bias],
    };

    private static float[] ToFloat(double[] values)
    {
        var r = TensorBuffers.Zeroed(values.Length);
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = (float)values[i];
        }
        return r;
    }

    // The argument checks BatchNorm and FrozenBatchNorm share; returns N, C and the positions per plane (1 for [N, C]).
    private static (int N, int C, int Spatial) CheckBatchNormInputs(string op, Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean,
        Tensor runningVar)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVar);
        if (x.Rank is not (2 or 4))
        {
            throw new ArgumentException($"{op}: input must be [N, C] or [N, C, H, W], got {ShapeUtil.Format(x.Dims)}.", nameof(x));
        }
        int c = x.Dims[1];
        CheckChannelVector(op, runningMean, c, nameof(runningMean));
        CheckChannelVector(op, runningVar, c, nameof(runningVar));
        CheckChannelVector(op, weight, c, nameof(weight));
        CheckChannelVector(op, bias, c, nameof(bias));
        return (x.Dims[0], c, x.Rank == 4 ? x.Dims[2] * x.Dims[3] : 1);
    }

    private static void CheckChannelVector(string op, Tensor? t, int length, string name)
    {
        if (t is not null && (t.Rank != 1 || t.Dims[0] != length))
        {
            throw new ArgumentException($"{op}: {name} must be [{length}], got {ShapeUtil.Format(t.Dims)}.", name);
        }
    }

    private static void CheckEps(string op, float eps)
    {
        if (!(eps >= 0f) || float.IsInfinity(eps))
        {
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"{op}: eps must be a finite non-negative number.");
        }
    }

    /// <summary>
    /// The per-channel scale and shift an inference batch norm (Ioffe &amp; Szegedy 2015, running statistics) applies,
    /// y = x·scale + shift with two roundings, computed exactly as <see cref="BatchNorm"/> does, so a
    /// <see cref="ConvEpilogue"/> using them matches the separate batch norm bit for bit.
    /// </summary>
    /// <param name="weight">γ [C], or null for 1.</param>
    /// <param name="bias">β [C], or null for 0.</param>
    /// <param name="runningMean">μ [C].</param>
    /// <param name="runningVar">σ² [C].</param>
    /// <param name="eps">Added to σ² (finite, ≥ 0).</param>
    public static (float[] Scale, float[] Shift) BatchNormInference(Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, float eps)
    {
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVar);
        int c = runningMean.Size;
        CheckChannelVector("BatchNorm", runningVar, c, nameof(runningVar));
        CheckChannelVector("BatchNorm", weight, c, nameof(weight));
        CheckChannelVector("BatchNorm", bias, c, nameof(bias));
        CheckEps("BatchNorm", eps);
        var invStd = new float[c];
        InferenceInvStd(runningVar.ReadOnlySpan, eps, invStd);
        var scales = new float[c];
        var shifts = new float[c];
        BatchNormAffine(weight, bias, runningMean.ReadOnlySpan, invStd, scales, shifts);
        return (scales, shifts);
    }

    private static void InferenceInvStd(ReadOnlySpan<float> runningVar, float eps, Span<float> invStd)
    {
        for (int ch = 0; ch < invStd.Length; ch++)
        {
            invStd[ch] = (float)(1.0 / Math.Sqrt(runningVar[ch] + (double)eps));
        }
    }

    private static void BatchNormAffine(Tensor? weight, Tensor? bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> scales, Span<float> shifts)
    {
        for (int ch = 0; ch < scales.Length; ch++)
        {
            scales[ch] = invStd[ch] * (weight is null ? 1f : weight.ReadOnlySpan[ch]);
            shifts[ch] = (bias is null ? 0f : bias.ReadOnlySpan[ch]) - (mean[ch] * scales[ch]);
        }
    }
}

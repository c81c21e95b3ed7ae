using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Batch normalisation with stored statistics (Ioffe &amp; Szegedy, 2015, inference form), optionally followed by the
    /// addition of a residual and a ReLU (the tail of a residual unit, He et al., 2016), as one op:
    /// <c>relu(x·scale + shift + residual)</c> with <c>scale = γ/√(σ² + ε)</c> and <c>shift = β − μ·scale</c>.
    /// </summary>
    /// <remarks>
    /// <para>The values are those of <see cref="BatchNorm"/> with <c>training: false</c>, then <see cref="Add(Tensor, Tensor)"/>
    /// and <see cref="Relu"/>, bit for bit, and so are the gradients of <paramref name="x"/>, γ, β and the residual; but the
    /// forward pass reads and writes each element once (one output instead of three) and the backward pass is one pass too,
    /// because the stored statistics make the input's gradient a per-channel multiple of the output's. This is the
    /// training-time form of a pretrained backbone fine-tuned with frozen statistics, where γ and β still train.</para>
    /// <para>Planes are split over the worker ranges; the per-channel sums for γ and β are combined in a fixed order, so
    /// the result does not depend on the number of threads. Running statistics receive no gradient.</para>
    /// </remarks>
    /// <param name="x">[N, C, H, W] or [N, C].</param>
    /// <param name="weight">γ [C], or null for 1.</param>
    /// <param name="bias">β [C], or null for 0.</param>
    /// <param name="runningMean">μ [C].</param>
    /// <param name="runningVar">σ² [C].</param>
    /// <param name="eps">Added to σ² (finite, ≥ 0).</param>
    /// <param name="residual">Added after the normalisation (same shape as <paramref name="x"/>), or null.</param>
    /// <param name="relu">Apply max(·, 0) last.</param>
    /// <exception cref="ArgumentException">A shape does not fit.</exception>
    public static Tensor FrozenBatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar,
        float eps = 1e-5f, Tensor? residual = null, bool relu = false)
    {
        var (n, c, spatial) = CheckBatchNormInputs("FrozenBatchNorm", x, weight, bias, runningMean, runningVar);
        int planes = n * c;
        CheckEps("FrozenBatchNorm", eps);
        if (residual is not null && !ShapeUtil.SameShape(residual.Dims, x.Dims))
        {
            throw new ArgumentException($"FrozenBatchNorm: the residual must have the input's shape {ShapeUtil.Format(x.Dims)}, got {ShapeUtil.Format(residual.Dims)}.", nameof(residual));
        }

        // The per-channel constants, computed as BatchNormInference computes them (BatchNorm with training: false runs this op).
        var mean = runningMean.ToArray();
        var invStd = new float[c];
        InferenceInvStd(runningVar.ReadOnlySpan, eps, invStd);
        var scales = new float[c];
        var shifts = new float[c];
        BatchNormAffine(weight, bias, mean, invStd, scales, shifts);

        var y = TensorBuffers.Uninitialized(x.Size);
        // With a gradient to come, the ReLU's mask (y > 0) is kept as one bit per element, a whole number of bytes per
        // plane, so the backward pass reads 1/32 of y's bytes instead of y.
        bool recording = relu && Autograd.NoGradScope.GradEnabled && (x.RequiresGrad || (weight?.RequiresGrad ?? false)
            || (bias?.RequiresGrad ?? false) || (residual?.RequiresGrad ?? false));
        int maskBytes = (spatial + 7) / 8;
        var maskStore = recording ? TensorBuffers.Uninitialized(((planes * maskBytes) + 3) / 4) : null;
        float[] xb = x.Buffer;
        int xOff = x.Offset;
        float[]? rb = residual?.Buffer;
        int rOff = residual?.Offset ?? 0;
        // Each plane: the unfused ops' float operations in their order (×scale, +shift, +residual, max 0), while it is
        // in cache, so memory sees one read of x (and the residual) and one write of y.
        KernelThreads.For(planes, (_, start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                int ch = p % c, at = p * spatial;
                var yp = y.AsSpan(at, spatial);
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(xb, xOff + at, spatial), scales[ch], yp);
                TensorPrimitives.Add(yp, shifts[ch], yp);
                if (rb is not null)
                {
                    TensorPrimitives.Add(yp, new ReadOnlySpan<float>(rb, rOff + at, spatial), yp);
                }
                if (relu)
                {
                    TensorPrimitives.Max(yp, 0f, yp);
                    if (maskStore is not null)
                    {
                        PositiveBits(yp, MemoryMarshal.AsBytes(maskStore.AsSpan()).Slice(p * maskBytes, maskBytes));
                    }
                }
            }
        });

        Tensor[] inputs = AffineInputs(x, weight, bias);
        if (residual is not null)
        {
            inputs = [.. inputs, residual];
        }
        int[] dims = (int[])x.Dims.Clone();
        return Tensor.Record(y, dims, "FrozenBatchNorm", inputs, g =>
        {
            bool needX = x.RequiresGrad, needR = residual?.RequiresGrad ?? false;
            bool stats = (weight?.RequiresGrad ?? false) || (bias?.RequiresGrad ?? false);
            // The gradient below the ReLU (what the residual receives): the output gradient where the output is positive.
            // Stored for the residual when it needs it; otherwise each plane goes through a per-range temporary.
            var dz = relu && needR ? TensorBuffers.Uninitialized(x.Size) : null;
            var dx = needX ? TensorBuffers.Uninitialized(x.Size) : null;
            var planeSum = stats ? new double[planes] : null;
            var planeDot = stats ? new float[planes] : null;
            var gains = new float[c];
            for (int ch = 0; ch < c; ch++)
            {
                double gamma = weight is null ? 1.0 : weight.ReadOnlySpan[ch];
                gains[ch] = (float)(gamma * invStd[ch]);
            }
            float[] gb = g.Buffer;
            int gOff = g.Offset;
            if (needX || stats || dz is not null)
            {
                KernelThreads.For(planes, (_, start, end) =>
                {
                    var temp = relu && dz is null ? new float[spatial] : null;
                    for (int p = start; p < end; p++)
                    {
                        int ch = p % c, at = p * spatial;
                        ReadOnlySpan<float> d = new(gb, gOff + at, spatial);
                        if (relu)
                        {
                            var target = dz is null ? temp : dz.AsSpan(at, spatial);
                            PassWhereSet(MemoryMarshal.AsBytes(maskStore.AsSpan()).Slice(p * maskBytes, maskBytes), d, target);
                            d = target;
                        }
                        if (stats)
                        {
                            planeSum![p] = SumDouble(d);
                            planeDot![p] = TensorPrimitives.Dot(d, new ReadOnlySpan<float>(xb, xOff + at, spatial));
                        }
                        if (dx is not null)
                        {
                            TensorPrimitives.Multiply(d, gains[ch], dx.AsSpan(at, spatial));
                        }
                    }
                });
            }
            // The residual first, then the input, as the unfused Add's backward runs before the batch norm's: when the
            // residual is the input itself, its gradients add up in the same order.
            if (needR)
            {
                residual!.AccumulateGrad(dz is null ? g : new Tensor(dz, dims), owned: dz is not null);
            }
            if (dx is not null)
            {
                x.AccumulateGrad(new Tensor(dx, dims), owned: true);
            }
            if (stats)
            {
                var dGamma = new float[c];
                var dBeta = new float[c];
                for (int ch = 0; ch < c; ch++)
                {
                    // Σ over the batch in image order, as BatchNorm sums its planes: the same bits for any split.
                    double sg = 0, sgx = 0;
                    for (int i = 0; i < n; i++)
                    {
                        sg += planeSum![(i * c) + ch];
                        sgx += planeDot![(i * c) + ch];
                    }
                    sgx -= mean[ch] * sg;
                    dBeta[ch] = (float)sg;
                    dGamma[ch] = (float)(sgx * invStd[ch]);
                }
                weight?.AccumulateGrad(new Tensor(dGamma, [c]), owned: true);
                bias?.AccumulateGrad(new Tensor(dBeta, [c]), owned: true);
            }
        });
    }

    // bits[i / 8] bit i % 8 = (y[i] > 0); the tail bits of the last byte are 0.
    private static void PositiveBits(ReadOnlySpan<float> y, Span<byte> bits)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= y.Length - 8; i += 8)
            {
                bits[i >> 3] = (byte)Vector256.GreaterThan(Vector256.Create(y.Slice(i, 8)), Vector256<float>.Zero).ExtractMostSignificantBits();
            }
        }
        if (i < y.Length)
        {
            int last = 0;
            for (int j = i; j < y.Length; j++)
            {
                last |= (y[j] > 0 ? 1 : 0) << (j - i);
            }
            bits[i >> 3] = (byte)last;
        }
    }

    // dz[i] = g[i] where bit i is set, else +0 (the ReLU's gradient, as ReluGrad gives it from y).
    private static void PassWhereSet(ReadOnlySpan<byte> bits, ReadOnlySpan<float> g, Span<float> dz)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
            for (; i <= g.Length - 8; i += 8)
            {
                var set = ~Vector256.Equals(Vector256.Create((int)bits[i >> 3]) & lanes, Vector256<int>.Zero);
                Vector256.ConditionalSelect(set.AsSingle(), Vector256.Create(g.Slice(i, 8)), Vector256<float>.Zero).CopyTo(dz.Slice(i, 8));
            }
        }
        for (; i < g.Length; i++)
        {
            dz[i] = ((bits[i >> 3] >> (i & 7)) & 1) != 0 ? g[i] : 0f;
        }
    }
}

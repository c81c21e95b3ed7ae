using System.Diagnostics;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Training;

/// <summary>
/// The reference CNN's pooling stages in isolation, at batch 128: 2×2 max-pool forward and backward on both
/// pooled shapes next to a plain copy of the pool's input (the memory-bound floor), ReLU on conv1's output, and
/// a ReLU→MaxPool2d pair run through <see cref="Sequential"/> (which pools first) versus the two ops in order.
/// Medians over repeated runs inside a <see cref="TensorScope"/>, as in training; the bare kernels (SIMD and scalar)
/// also on reused buffers.
/// </summary>
public static class PoolQuick
{
    private const int Reps = 40;

    public static IEnumerable<BenchRecord> Run()
    {
        var records = new List<BenchRecord>();
        foreach (var (tag, dims) in new[] { ("pool1", new[] { 128, 32, 28, 28 }), ("pool2", new[] { 128, 64, 14, 14 }) })
        {
            var x = Tensor.RandN(new Prng(3), dims);
            x.RequiresGrad = true;
            var copyTarget = new float[x.Size];
            records.Add(new BenchRecord($"{tag}_copy_input", Median(Reps, () =>
            {
                long t0 = Stopwatch.GetTimestamp();
                x.ReadOnlySpan.CopyTo(copyTarget);
                return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }), "ms"));
            Kernels(tag, x.ToArray(), dims, records);
            var (fwd, bwd) = ForwardBackward(x, t => Ops.MaxPool2d(t, 2));
            records.Add(new BenchRecord($"{tag}_maxpool_fwd", fwd, "ms"));
            records.Add(new BenchRecord($"{tag}_maxpool_bwd", bwd, "ms"));
            if (tag == "pool1")
            {
                var (rf, rb) = ForwardBackward(x, Ops.Relu);
                records.Add(new BenchRecord($"{tag}_relu_fwd", rf, "ms"));
                records.Add(new BenchRecord($"{tag}_relu_bwd", rb, "ms"));
                var pair = new Sequential(new ReLU(), new MaxPool2d(2));
                var (sf, sb) = ForwardBackward(x, pair.Forward);
                records.Add(new BenchRecord($"{tag}_sequential_relu_pool_fwd", sf, "ms"));
                records.Add(new BenchRecord($"{tag}_sequential_relu_pool_bwd", sb, "ms"));
                var (of, ob) = ForwardBackward(x, t => Ops.MaxPool2d(Ops.Relu(t), 2));
                records.Add(new BenchRecord($"{tag}_ops_relu_then_pool_fwd", of, "ms"));
                records.Add(new BenchRecord($"{tag}_ops_relu_then_pool_bwd", ob, "ms"));
            }
        }
        return records;
    }

    // The bare kernels on reused (cache-warm) buffers, AVX2 and scalar: the op's cost without allocation and the
    // cache misses of a training step.
    private static void Kernels(string tag, float[] x, int[] dims, List<BenchRecord> records)
    {
        int planes = dims[0] * dims[1], h = dims[2], w = dims[3];
        var y = new float[planes * (h / 2) * (w / 2)];
        var winners = new byte[y.Length];
        var dx = new float[x.Length];
        foreach (bool scalar in new[] { false, true })
        {
            string path = scalar ? "scalar" : "simd";
            PoolKernels.ForceScalar = scalar;
            try
            {
                records.Add(new BenchRecord($"{tag}_kernel_fwd_{path}", Median(scalar ? 5 : Reps, () =>
                {
                    long t0 = Stopwatch.GetTimestamp();
                    PoolKernels.MaxPool2x2Forward(x, y, winners, planes, h, w);
                    return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }), "ms"));
                records.Add(new BenchRecord($"{tag}_kernel_bwd_{path}", Median(scalar ? 5 : Reps, () =>
                {
                    long t0 = Stopwatch.GetTimestamp();
                    PoolKernels.MaxPool2x2Backward(winners, y, dx, planes, h, w);
                    return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }), "ms"));
            }
            finally
            {
                PoolKernels.ForceScalar = false;
            }
        }
    }

    // Forward: wall time of f. Backward: the summed time of the recorded nodes' backward steps (the seed
    // gradient's creation excluded).
    private static (double Forward, double Backward) ForwardBackward(Tensor x, Func<Tensor, Tensor> f)
    {
        var fwd = new List<double>();
        var bwd = new List<double>();
        for (int r = -5; r < Reps; r++)
        {
            using var scope = TensorScope.Enter();
            x.Grad = null;
            long t0 = Stopwatch.GetTimestamp();
            var y = f(x);
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var g = Tensor.Ones(y.Shape);
            double back = 0;
            Tensor.BackwardProfiler = (_, t) => back += t;
            try
            {
                y.Backward(g);
            }
            finally
            {
                Tensor.BackwardProfiler = null;
            }
            if (r >= 0)
            {
                fwd.Add(ms);
                bwd.Add(back);
            }
        }
        return (MedianOf(fwd), MedianOf(bwd));
    }

    private static double Median(int reps, Func<double> run)
    {
        var list = new List<double>();
        for (int r = -3; r < reps; r++)
        {
            double ms = run();
            if (r >= 0)
            {
                list.Add(ms);
            }
        }
        return MedianOf(list);
    }

    private static double MedianOf(List<double> v)
    {
        v.Sort();
        return v[v.Count / 2];
    }
}

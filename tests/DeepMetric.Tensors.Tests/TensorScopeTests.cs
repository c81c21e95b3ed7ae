using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class TensorScopeTests
{
    private const int Big = 200 * 200; // above the pooling threshold

    [Fact]
    public void BuffersAreRecycledAcrossScopes()
    {
        var x = Tensor.Rand(new Prng(1), [200, 200]);
        float[] first;
        using (TensorScope.Enter())
        {
            first = Ops.Exp(x).Buffer;
        }
        using (TensorScope.Enter())
        {
            var again = Ops.Exp(x);
            Assert.Same(first, again.Buffer);
            Assert.Equal(MathF.Exp(x[3, 4]), again[3, 4], 5);
        }
    }

    [WorkerThreadsFact]
    public void BuffersAWorkerRangeAllocates_BelongToTheCallersScope()
    {
        // Each range of a split kernel allocates one buffer; the one a worker thread allocates comes from, and goes back
        // to, the pool of the thread that opened the scope, so the next scope's allocations on that thread reuse both.
        var seen = new float[2][];
        var threads = new int[2];
        using (var scope = TensorScope.Enter())
        {
            KernelThreads.For(8, (range, _, _) =>
            {
                seen[range] = TensorBuffers.Uninitialized(Big + 17);
                threads[range] = Environment.CurrentManagedThreadId;
            });
            Assert.Equal(2, scope.BufferCount);
        }
        var again = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        using (TensorScope.Enter())
        {
            again.Add(TensorBuffers.Uninitialized(Big + 17));
            again.Add(TensorBuffers.Uninitialized(Big + 17));
        }
        Assert.Contains(seen[0], again);
        Assert.Contains(seen[1], again);
        // Outside a scope a worker's buffers stay plain GC arrays.
        var outside = new float[2][];
        KernelThreads.For(8, (range, _, _) => outside[range] = TensorBuffers.Uninitialized(Big + 17));
        Assert.DoesNotContain(outside[0], again);
        Assert.DoesNotContain(outside[1], again);
        Assert.All(threads, t => Assert.NotEqual(0, t));
    }

    [Fact]
    public void WithoutScope_NothingIsPooled()
    {
        var x = Tensor.Rand(new Prng(2), [Big]);
        var a = Ops.Exp(x);
        var b = Ops.Exp(x);
        Assert.NotSame(a.Buffer, b.Buffer);
    }

    [Fact]
    public void KeptTensors_SurviveTheScope()
    {
        var x = Tensor.Rand(new Prng(3), [Big]);
        Tensor kept;
        using (var scope = TensorScope.Enter())
        {
            kept = scope.Keep(Ops.Mul(x, 2f));
        }
        using (TensorScope.Enter())
        {
            _ = Ops.Mul(x, 3f); // would reuse the buffer if it had been returned
        }
        Assert.Equal(2f * x[17], kept[17]);
    }

    [Fact]
    public void LeafGradients_SurviveTheScope()
    {
        var w = Tensor.Rand(new Prng(4), [Big]);
        w.RequiresGrad = true;
        using (TensorScope.Enter())
        {
            // Two uses of w make the engine sum two contributions into a buffer it owns.
            Ops.Sum(Ops.Add(Ops.Mul(w, 2f), Ops.Mul(w, 3f))).Backward();
        }
        using (TensorScope.Enter())
        {
            _ = Ops.Mul(w, 7f);
            _ = Ops.Mul(w, 8f);
        }
        Assert.All(w.Grad!.ToArray(), g => Assert.Equal(5f, g));
    }

    [Fact]
    public void TrainingInScopes_IsBitIdenticalToTrainingWithout()
    {
        float[] Train(bool scoped)
        {
            var rng = new Prng(9);
            var model = new Sequential(new Linear(300, 128, rng: rng), new ReLU(), new Linear(128, 10, rng: rng));
            var opt = new Adam(model.Parameters(), lr: 1e-2f);
            var x = Tensor.RandN(new Prng(10), [64, 300]);
            var y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
            for (int step = 0; step < 5; step++)
            {
                var scope = scoped ? TensorScope.Enter() : null;
                opt.ZeroGrad();
                Ops.CrossEntropy(model.Forward(x), y).Backward();
                opt.Step();
                scope?.Dispose();
            }
            return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        Assert.Equal(Train(false), Train(true));
    }

    [Fact]
    public void DisposingOutOfOrder_Throws()
    {
        var outer = TensorScope.Enter();
        var inner = TensorScope.Enter();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
    }
}

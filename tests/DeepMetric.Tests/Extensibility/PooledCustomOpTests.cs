using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Tests.Extensibility;

/// <summary>
/// The public surface the library's own per-step ops use (pooled storage, prefix views, a custom op over an existing
/// tensor, zero-copy read-only memory), exercised from outside the engine as a user would; expected values by hand.
/// </summary>
public sealed class PooledCustomOpTests
{
    private const int Big = 64 * 1024; // above the engine's pooling threshold (16 K floats)

    [Fact]
    public void Allocate_RecyclesLargeBuffersAcrossScopes_AndClearsWhenAsked()
    {
        float[] first;
        using (TensorScope.Enter())
        {
            first = TensorScope.Allocate(Big, clear: false);
            Assert.Equal(Big, first.Length);
            first.AsSpan().Fill(7f);
        }
        using (TensorScope.Enter())
        {
            var again = TensorScope.Allocate(Big);
            Assert.Same(first, again);
            Assert.True(again.AsSpan().IndexOfAnyExcept(0f) < 0, "clear: true must hand back zeros even for a recycled buffer");
        }
        // Outside a scope every call is a fresh array.
        Assert.NotSame(TensorScope.Allocate(Big), TensorScope.Allocate(Big));
        Assert.Empty(TensorScope.Allocate(0));
        Assert.Throws<ArgumentOutOfRangeException>("length", () => TensorScope.Allocate(-1));
    }

    [Fact]
    public void CustomOp_OverAPrefixView_BackPropagates()
    {
        var x = Tensor.FromArray([1f, -2f, 3f]);
        x.RequiresGrad = true;
        // y = 3x kept in the first 3 slots of a longer (rounded-up) array; the tail must be ignored.
        var storage = new float[8];
        storage.AsSpan().Fill(99f);
        for (int i = 0; i < 3; i++)
        {
            storage[i] = 3f * x[i];
        }
        var y = CustomOp.Create("Triple", Tensor.WrapView(storage, 0, [3]), [x], g =>
        {
            var grad = new float[5];
            for (int i = 0; i < 3; i++)
            {
                grad[i] = 3f * g[i];
            }
            return [Tensor.WrapView(grad, 0, [3])];
        });
        Assert.Equal([3], y.Shape);
        Assert.Equal([3f, -6f, 9f], y.ToArray());
        Assert.Equal("Triple", y.Operation);
        // L = Σ y_i · w_i with w = (1, 2, 3): ∂L/∂x_i = 3 w_i.
        Ops.Sum(Ops.Mul(y, Tensor.FromArray([1f, 2f, 3f]))).Backward();
        Assert.Equal([3f, 6f, 9f], x.Grad!.ToArray());
    }

    [Fact]
    public void CustomOp_WithATensorOutput_RejectsTrackedOutputs_AndRecordsNothingUnderNoGrad()
    {
        var x = Tensor.FromArray([1f, 2f]);
        x.RequiresGrad = true;
        Assert.Throws<ArgumentException>("output", () => CustomOp.Create("Op", x, [x], g => [g]));
        Assert.Throws<ArgumentException>("name", () => CustomOp.Create("", Tensor.Zeros(2), [x], g => [g]));
        using (Tensor.NoGrad())
        {
            Assert.False(CustomOp.Create("Op", Tensor.Zeros(2), [x], g => [g]).RequiresGrad);
        }
        Assert.True(CustomOp.Create("Op", Tensor.Zeros(2), [x], g => [g]).RequiresGrad);
    }

    [Fact]
    public void WrapView_AndReadOnlyMemory_ShareStorage()
    {
        var storage = new float[] { 0f, 1f, 2f, 3f, 4f, 5f, 6f };
        var view = Tensor.WrapView(storage, 1, [2, 3]);
        Assert.Equal(2f, view[0, 1]);
        Assert.Equal(6f, view[1, 2]);
        storage[4] = 40f;
        Assert.Equal(40f, view[1, 0]);
        var memory = view.ReadOnlyMemory;
        Assert.Equal(6, memory.Length);
        Assert.Equal([1f, 2f, 3f, 40f, 5f, 6f], memory.ToArray());
        Assert.Throws<ArgumentException>("storage", () => Tensor.WrapView(storage, 2, [2, 3]));
        Assert.Throws<ArgumentException>("storage", () => Tensor.WrapView(storage, -1, [1]));
        Assert.Throws<ArgumentException>("shape", () => Tensor.WrapView(storage, 0, [-1]));
        Assert.Equal(0f, Tensor.WrapView(storage, 0, []).Item());
    }
}

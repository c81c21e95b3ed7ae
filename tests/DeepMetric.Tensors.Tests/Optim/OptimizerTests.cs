using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Tests.TestUtil;
using static DeepMetric.Tensors.Tests.Optim.OptimTestUtil;

namespace DeepMetric.Tensors.Tests.Optim;

public sealed class OptimizerTests
{
    [Fact]
    public void GroupsUseTheirOwnLearningRatesAndOverrides()
    {
        var a = Parameter();
        var b = Parameter();
        var c = Parameter();
        var opt = new Sgd(
            [
                new ParamGroup([a]),
                new ParamGroup([b]) { LearningRate = 0.01f },
                new ParamGroup([c]) { LearningRate = 0.02f, Momentum = 0.5f, WeightDecay = 0.1f },
            ],
            lr: 0.1f,
            momentum: 0.9f);
        Assert.Equal(0.1f, opt.ParamGroups[0].LearningRate);
        Assert.Equal(0.9f, opt.ParamGroups[1].Momentum);
        Assert.Equal(0.5f, opt.ParamGroups[2].Momentum);
        for (int t = 1; t <= 6; t++)
        {
            foreach (var p in new[] { a, b, c })
            {
                p.Grad = Tensor.FromArray(Gradients(t, p.Size), p.Size);
            }
            opt.Step();
        }
        var init = ToDouble(Initial);
        Assertions.AllClose(ReferenceRules.Sgd(init, 6, 0.1, 0.9), a.ReadOnlySpan, 1e-5, 1e-4);
        Assertions.AllClose(ReferenceRules.Sgd(init, 6, 0.01, 0.9), b.ReadOnlySpan, 1e-5, 1e-4);
        Assertions.AllClose(ReferenceRules.Sgd(init, 6, 0.02, 0.5, weightDecay: 0.1), c.ReadOnlySpan, 1e-5, 1e-4);
    }

    [Fact]
    public void LearningRateSetterAppliesToAllGroups()
    {
        var opt = new Adam([new ParamGroup([Parameter()]) { LearningRate = 0.5f }, new ParamGroup([Parameter()])], lr: 0.1f);
        Assert.Equal(0.5f, opt.LearningRate);
        opt.LearningRate = 0.25f;
        Assert.All(opt.ParamGroups, g => Assert.Equal(0.25f, g.LearningRate));
    }

    [Fact]
    public void ParametersWithoutGradientAreSkippedAndStartFreshLater()
    {
        var a = Parameter();
        var b = Parameter();
        var opt = new Adam([a, b], lr: 0.05f);
        for (int t = 1; t <= 4; t++)
        {
            a.Grad = Tensor.FromArray(Gradients(t, a.Size), a.Size);
            opt.Step();
        }
        Assert.Equal(Initial, b.ToArray());
        Assert.Equal(4, opt.StepCount(0));
        Assert.Equal(0, opt.StepCount(1));
        Assert.DoesNotContain(opt.StateDict().Tensors.Keys, k => k.StartsWith("state.1.", StringComparison.Ordinal));

        // b's first update uses t = 1 bias correction even though the optimizer has stepped before.
        a.Grad = null;
        b.Grad = Tensor.FromArray(Gradients(5, b.Size), b.Size);
        opt.Step();
        var expected = ReferenceRules.Adam(ToDouble(Initial), 1, 0.05, 0.9, 0.999, 1e-8, 0, amsgrad: false, decoupled: false, firstStep: 5);
        Assertions.AllClose(expected, b.ReadOnlySpan, 1e-6, 1e-5);
        Assert.Equal(1, opt.StepCount(1));
    }

    [Fact]
    public void ZeroGradClearsOrZeroes()
    {
        var p = Parameter();
        var opt = new Sgd([p], 0.1f);
        p.Grad = Tensor.Ones(p.Size);
        opt.ZeroGrad(setToNone: false);
        Assert.NotNull(p.Grad);
        Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0f, v));
        opt.ZeroGrad();
        Assert.Null(p.Grad);
    }

    [Fact]
    public void ZeroGradReusingStorage_WritesTheNextGradientIntoTheOldBuffer()
    {
        var p = Parameter();
        var opt = new Sgd([p], 0.1f);
        var c1 = Tensor.FromArray([1f, -2f, 3f, 0.5f, -4f], 5);
        Ops.Sum(Ops.Mul(p, c1)).Backward();
        var first = p.Grad!;
        var before = first.ToArray();
        opt.ZeroGrad(reuseStorage: true);
        Assert.Null(p.Grad);
        // d/dp Σ p² c₂ = 2 p c₂, computed here in double.
        var c2 = new[] { 0.25f, 4f, -1f, 2f, 1.5f };
        var values = p.ToArray();
        Ops.Sum(Ops.Mul(Ops.Mul(p, p), Tensor.FromArray(c2, 5))).Backward();
        Assert.Same(first.Buffer, p.Grad!.Buffer);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(2.0 * values[i] * c2[i], p.Grad.ReadOnlySpan[i], 5);
        }
        Assert.Equal([1f, -2f, 3f, 0.5f, -4f], before);
    }

    [Fact]
    public void ZeroGradReusingStorage_LeavesParametersWithoutGradientNull()
    {
        var a = Parameter();
        var b = Parameter();
        var opt = new Sgd([a, b], 0.1f);
        Ops.Sum(Ops.Add(a, b)).Backward();
        opt.Step();
        opt.ZeroGrad(reuseStorage: true);
        Ops.Sum(a).Backward();
        Assert.NotNull(a.Grad);
        Assert.Null(b.Grad);
        opt.Step();
        Assert.Equal(2, opt.StepCount(0));
        Assert.Equal(1, opt.StepCount(1));
    }

    [Fact]
    public void ZeroGradWithoutReuse_NeverWritesIntoAnOldGradient()
    {
        var p = Parameter();
        var opt = new Sgd([p], 0.1f);
        Ops.Sum(p).Backward();
        var kept = p.Grad!;
        opt.ZeroGrad(reuseStorage: true);
        // A plain set-to-none afterwards cancels the reuse: the old gradient stays as it was.
        p.Grad = kept;
        opt.ZeroGrad();
        Ops.Sum(Ops.Mul(p, 3f)).Backward();
        Assert.NotSame(kept.Buffer, p.Grad!.Buffer);
        Assert.All(kept.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(p.Grad.ToArray(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void ZeroGradReusingStorage_TrainsBitIdenticallyToSetToNone()
    {
        float[] Train(bool reuse)
        {
            var p = Parameter();
            var opt = new Adam([p], 0.05f);
            var target = Tensor.FromArray([0.3f, -1f, 2f, 0.1f, 0.7f], 5);
            for (int s = 0; s < 5; s++)
            {
                opt.ZeroGrad(reuseStorage: reuse);
                var diff = Ops.Sub(p, target);
                Ops.Sum(Ops.Mul(diff, diff)).Backward();
                opt.Step();
            }
            return p.ToArray();
        }
        Assert.Equal(Train(false), Train(true));
    }

    [Fact]
    public void UpdatesViewsOfLargerStorage()
    {
        // A parameter that is a view at a non-zero offset must be updated through its window only.
        var storage = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var row = storage.Detach().Reshape(4).Detach();
        var p = new Tensor(storage.Buffer, 2, [2]) { RequiresGrad = true, Grad = Tensor.FromArray([1f, 1f], 2) };
        new Sgd([p], 0.5f).Step();
        Assert.Equal([1f, 2f, 2.5f, 3.5f], row.ToArray());
    }

    [Fact]
    public void StepsAfterTheFirstAllocateNothing()
    {
        var ps = new[] { Parameter(), Parameter(new float[300]) };
        foreach (var kind in new[] { "SgdNesterov", "Adam", "AmsGrad", "RmsPropCentered" })
        {
            var opt = OptimizerTrajectoryTests.Make(kind, ps);
            foreach (var p in ps)
            {
                p.Grad = Tensor.FromArray(Gradients(1, p.Size), p.Size);
            }
            for (int i = 0; i < 3; i++)
            {
                opt.Step();
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                opt.Step();
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void BadConstructionIsRejected()
    {
        var p = Parameter();
        Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Tensor>(), 0.1f));
        Assert.Throws<ArgumentException>(() => new Sgd([p, p], 0.1f));
        Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([p]), new ParamGroup([p])], 0.1f));
        var nonLeaf = p * 2f;
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => new Adam([nonLeaf])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta1: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta2: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp([p], alpha: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([p], weightDecay: float.PositiveInfinity));
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, nesterov: true)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, momentum: 0.9f, dampening: 0.1f, nesterov: true));
        Assert.Throws<ArgumentNullException>(() => new ParamGroup([p, null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParamGroup([p]) { LearningRate = -1f });
    }

    [Fact]
    public void InconsistentChangesAndBadGradientsFailAtStep()
    {
        var p = Parameter();
        var opt = new Sgd([p], 0.1f, momentum: 0.9f, nesterov: true);
        p.Grad = Tensor.Ones(p.Size);
        opt.ParamGroups[0].Momentum = 0f;
        Assert.Throws<InvalidOperationException>(opt.Step);
        opt.ParamGroups[0].Momentum = 0.9f;
        p.Grad = Tensor.Ones(p.Size + 1);
        Assert.Contains("gradient has shape", Assert.Throws<InvalidOperationException>(opt.Step).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SizeOneAndEmptyGroupsWork()
    {
        var p = new Tensor([2f], []) { RequiresGrad = true, Grad = Tensor.Scalar(1f) };
        var opt = new Adam([new ParamGroup([]), new ParamGroup([p])], lr: 0.1f);
        opt.Step();
        Assertions.Close(1.9, p.Item());
    }
}

using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Optim.Schedulers;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Optim;

public sealed class LrSchedulerTests
{
    private static Sgd Optimizer(float lr = 1f) => new(new[] { OptimTestUtil.Parameter() }, lr);

    /// <summary>The learning rates after construction and after each of <paramref name="steps"/> Step calls.</summary>
    private static float[] Sequence(LrScheduler scheduler, int steps)
    {
        var lrs = new float[steps + 1];
        lrs[0] = scheduler.CurrentLearningRate;
        for (int t = 1; t <= steps; t++)
        {
            scheduler.Step();
            lrs[t] = scheduler.CurrentLearningRate;
            Assert.Equal(t, scheduler.LastEpoch);
            Assert.Equal(lrs[t], scheduler.Optimizer.LearningRate);
        }
        return lrs;
    }

    [Fact]
    public void StepLRByHand()
    {
        Assertions.AllClose([1f, 1f, 1f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f], Sequence(new StepLR(Optimizer(), 3, 0.5f), 7), 1e-7, 0);
    }

    [Fact]
    public void ExponentialLRByHand()
    {
        Assertions.AllClose([2f, 1.8f, 1.62f, 1.458f], Sequence(new ExponentialLR(Optimizer(2f), 0.9f), 3), 1e-6, 1e-6);
    }

    [Fact]
    public void MultiStepLRCountsMilestones()
    {
        // Milestones given unsorted and one repeated: decays at 2, then twice at 4.
        Assertions.AllClose([1f, 1f, 0.1f, 0.1f, 0.001f, 0.001f], Sequence(new MultiStepLR(Optimizer(), [4, 2, 4], 0.1f), 5), 1e-9, 1e-6);
    }

    [Fact]
    public void CosineAnnealingMatchesClosedForm()
    {
        const int TMax = 10;
        const double Base = 0.5, EtaMin = 0.01;
        var lrs = Sequence(new CosineAnnealingLR(Optimizer((float)Base), TMax, (float)EtaMin), 2 * TMax);
        for (int t = 0; t <= 2 * TMax; t++)
        {
            double expected = EtaMin + (0.5 * (Base - EtaMin) * (1 + Math.Cos(Math.PI * t / TMax)));
            Assertions.Close(expected, lrs[t], 1e-7, 1e-6, $"lr at {t}");
        }
        Assertions.Close(EtaMin, lrs[TMax], 1e-8, 1e-6);
        Assertions.Close((Base + EtaMin) / 2, lrs[TMax / 2], 1e-8, 1e-6);
        Assertions.Close(Base, lrs[2 * TMax], 1e-8, 1e-6);
    }

    [Fact]
    public void LinearWarmupCosineByHand()
    {
        // base 1, W = 4, T = 8, f = 0.2, η_min = 0.
        var lrs = Sequence(new LinearWarmupCosine(Optimizer(), 4, 8, 0f, 0.2f), 10);
        double[] expected =
        [
            0.2, 0.4, 0.6, 0.8,                        // warm-up: 0.2 + 0.8 t / 4
            1.0, (1 + Math.Cos(Math.PI / 4)) / 2, 0.5, (1 + Math.Cos(3 * Math.PI / 4)) / 2,
            0, 0, 0,                                   // stays at η_min after T
        ];
        Assertions.AllClose(expected, lrs, 1e-7, 1e-6);
    }

    [Fact]
    public void LinearWarmupCosineWithoutWarmupIsCosine()
    {
        var a = Sequence(new LinearWarmupCosine(Optimizer(0.3f), 0, 6, 0.05f), 6);
        var b = Sequence(new CosineAnnealingLR(Optimizer(0.3f), 6, 0.05f), 6);
        Assertions.AllClose(a, b, 1e-7, 1e-6);
    }

    [Fact]
    public void SchedulesEveryGroupFromItsBase()
    {
        var opt = new Adam([new ParamGroup([OptimTestUtil.Parameter()]) { LearningRate = 0.1f }, new ParamGroup([OptimTestUtil.Parameter()])], lr: 0.01f);
        var s = new StepLR(opt, 1, 0.5f);
        Assert.Equal([0.1f, 0.01f], s.BaseLearningRates);
        s.Step();
        s.Step();
        Assertions.AllClose([0.025f, 0.0025f], s.CurrentLearningRates(), 1e-9, 1e-6);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => new StepLR(null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(Optimizer(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(Optimizer(), 1, -0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(Optimizer(), float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiStepLR(Optimizer(), [3, -1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(Optimizer(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(Optimizer(), 5, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupCosine(Optimizer(), 5, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupCosine(Optimizer(), -1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupCosine(Optimizer(), 1, 5, warmupStartFactor: 1.5f));
    }
}

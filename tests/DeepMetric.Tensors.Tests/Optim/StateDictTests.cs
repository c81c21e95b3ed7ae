using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Optim.Schedulers;
using static DeepMetric.Tensors.Tests.Optim.OptimTestUtil;

namespace DeepMetric.Tensors.Tests.Optim;

public sealed class StateDictTests
{
    private const int N = 7;
    private const int M = 9;

    private static Tensor[] MakeParams() =>
        [Parameter(), new Tensor([1f, -2f, 0.5f, 3f, -1f, 2.5f], [2, 3]) { RequiresGrad = true }, new Tensor([0.75f], []) { RequiresGrad = true }];

    private static LrScheduler MakeScheduler(Optimizer opt) => new LinearWarmupCosine(opt, 3, N + M, 1e-4f, 0.1f);

    private static void TrainSteps(Optimizer opt, LrScheduler scheduler, Tensor[] ps, int first, int count)
    {
        for (int t = first; t < first + count; t++)
        {
            for (int k = 0; k < ps.Length; k++)
            {
                // Parameter 2 has no gradient on odd steps, so its step count lags behind.
                ps[k].Grad = k == 2 && t % 2 == 1 ? null : new Tensor(Gradients(t + k, ps[k].Size), ps[k].Shape);
            }
            GradientClipping.ClipGradNorm(ps, 2f);
            opt.Step();
            scheduler.Step();
        }
    }

    /// <summary>Copies a state as a safetensors round trip would: fresh tensors and a fresh string map.</summary>
    private static OptimizerState Copy(OptimizerState s) => new(
        s.Tensors.ToDictionary(kv => kv.Key, kv => new Tensor(kv.Value.ToArray(), kv.Value.Shape)),
        new Dictionary<string, string>(s.Metadata));

    [Theory]
    [MemberData(nameof(OptimizerTrajectoryTests.AllOptimizers), MemberType = typeof(OptimizerTrajectoryTests))]
    public void ResumeIsBitIdenticalToUninterruptedRun(string kind)
    {
        var straight = MakeParams();
        var optStraight = OptimizerTrajectoryTests.Make(kind, straight);
        var schedStraight = MakeScheduler(optStraight);
        TrainSteps(optStraight, schedStraight, straight, 1, N + M);

        var first = MakeParams();
        var opt1 = OptimizerTrajectoryTests.Make(kind, first);
        var sched1 = MakeScheduler(opt1);
        TrainSteps(opt1, sched1, first, 1, N);
        var saved = Copy(opt1.StateDict());
        var savedScheduler = new Dictionary<string, string>(sched1.StateDict());
        var savedParams = first.Select(p => p.ToArray()).ToArray();

        // Fresh objects built from the checkpoint only.
        var resumed = first.Select((p, i) => new Tensor(savedParams[i], p.Shape) { RequiresGrad = true }).ToArray();
        var opt2 = OptimizerTrajectoryTests.Make(kind, resumed);
        var sched2 = MakeScheduler(opt2);
        opt2.LoadStateDict(saved);
        sched2.LoadStateDict(savedScheduler);
        Assert.Equal(sched1.CurrentLearningRate, sched2.CurrentLearningRate);
        Assert.Equal(N, sched2.LastEpoch);
        TrainSteps(opt2, sched2, resumed, N + 1, M);

        for (int k = 0; k < straight.Length; k++)
        {
            Assert.Equal(straight[k].ToArray(), resumed[k].ToArray());
        }
        Assert.Equal(optStraight.LearningRate, opt2.LearningRate);
    }

    [Fact]
    public void StateDictHoldsNamedCopies()
    {
        var ps = MakeParams();
        var opt = new Adam(ps, amsGrad: true);
        var sched = new StepLR(opt, 2, 0.5f);
        TrainSteps(opt, sched, ps, 1, 3);
        var state = opt.StateDict();
        Assert.Equal("Adam", state.Metadata["optimizer"]);
        Assert.Equal("3", state.Metadata["param_count"]);
        Assert.Equal("2,3", state.Metadata["param.1.shape"]);
        Assert.Equal("3", state.Metadata["state.0.step"]);
        Assert.Equal("1", state.Metadata["state.2.step"]);
        Assert.Equal("true", state.Metadata["group.0.amsgrad"]);
        Assert.Equal(opt.LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture), state.Metadata["group.0.lr"]);
        Assert.Equal(new[] { 2, 3 }, state.Tensors["state.1.exp_avg_sq"].Shape);
        Assert.Contains("state.2.max_exp_avg_sq", state.Tensors.Keys);

        // A copy, not a view of the live buffers.
        var before = state.Tensors["state.0.exp_avg"].ToArray();
        TrainSteps(opt, sched, ps, 4, 1);
        Assert.Equal(before, state.Tensors["state.0.exp_avg"].ToArray());

        var schedState = sched.StateDict();
        Assert.All(schedState.Keys, k => Assert.StartsWith("scheduler.", k, StringComparison.Ordinal));
        Assert.Equal("StepLR", schedState["scheduler.type"]);
        Assert.Equal("4", schedState["scheduler.last_epoch"]);
    }

    [Fact]
    public void LoadingClearsStateAbsentFromTheCheckpoint()
    {
        var ps = new[] { Parameter() };
        var fresh = new Sgd(ps, 0.1f, momentum: 0.9f).StateDict();
        var opt = new Sgd(ps, 0.1f, momentum: 0.9f);
        Run(opt, ps[0], 3);
        opt.LoadStateDict(fresh);
        Assert.Equal(0, opt.StepCount(0));
        Assert.Empty(opt.StateDict().Tensors);
    }

    [Fact]
    public void MismatchedStatesAreRejectedWithoutChanges()
    {
        var ps = MakeParams();
        var opt = new Adam(ps, lr: 0.05f);
        TrainSteps(opt, new StepLR(opt, 2), ps, 1, 2);
        var good = opt.StateDict();

        var other = MakeParams();
        var target = new Adam(other, lr: 0.3f);

        Assert.Contains("AdamW", Assert.Throws<ArgumentException>(() => new AdamW(MakeParams()).LoadStateDict(good)).Message, StringComparison.Ordinal);
        Assert.Contains("3 parameters", Assert.Throws<ArgumentException>(() => new Adam(MakeParams()[..2]).LoadStateDict(good)).Message, StringComparison.Ordinal);
        var reshaped = MakeParams();
        reshaped[1] = new Tensor(new float[6], [3, 2]) { RequiresGrad = true };
        Assert.Contains("[3, 2]", Assert.Throws<ArgumentException>(() => new Adam(reshaped).LoadStateDict(good)).Message, StringComparison.Ordinal);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => new Adam([new ParamGroup(other[..1]), new ParamGroup(other[1..])]).LoadStateDict(good)).Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithMeta(good, "group.0.lr", "fast")));
        Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithMeta(good, "group.0.beta1", "1.5")));
        Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithMeta(good, "state.0.step", "-1")));
        Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithMeta(good, "format", "99")));
        Assert.Throws<ArgumentException>(() => target.LoadStateDict(new OptimizerState(good.Tensors, good.Metadata.Where(kv => kv.Key != "param.1.shape").ToDictionary())));
        Assert.Contains("state.0.velocity", Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithTensor(good, "state.0.velocity", Tensor.Zeros(5)))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithTensor(good, "state.9.exp_avg", Tensor.Zeros(5))));
        Assert.Contains("shape", Assert.Throws<ArgumentException>(() => target.LoadStateDict(WithTensor(good, "state.0.exp_avg", Tensor.Zeros(4)))).Message, StringComparison.Ordinal);

        // None of the failed loads touched the target.
        Assert.Equal(0.3f, target.LearningRate);
        Assert.Empty(target.StateDict().Tensors);
        Assert.Equal(0, target.StepCount(0));
    }

    [Fact]
    public void MismatchedSchedulerStatesAreRejected()
    {
        var opt = new Sgd([Parameter()], 0.1f);
        var state = new StepLR(opt, 3, 0.5f).StateDict();
        Assert.Contains("StepLR", Assert.Throws<ArgumentException>(() => new ExponentialLR(new Sgd([Parameter()], 0.1f), 0.5f).LoadStateDict(state)).Message, StringComparison.Ordinal);
        Assert.Contains("step_size", Assert.Throws<ArgumentException>(() => new StepLR(new Sgd([Parameter()], 0.1f), 4, 0.5f).LoadStateDict(state)).Message, StringComparison.Ordinal);
        var twoGroups = new Sgd([new ParamGroup([Parameter()]), new ParamGroup([Parameter()])], 0.1f);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => new StepLR(twoGroups, 3, 0.5f).LoadStateDict(state)).Message, StringComparison.Ordinal);
        var broken = new Dictionary<string, string>(state) { ["scheduler.last_epoch"] = "x" };
        var s = new StepLR(new Sgd([Parameter()], 0.1f), 3, 0.5f);
        Assert.Throws<ArgumentException>(() => s.LoadStateDict(broken));
        Assert.Equal(0, s.LastEpoch);
    }

    private static OptimizerState WithMeta(OptimizerState s, string key, string value) =>
        new(s.Tensors, new Dictionary<string, string>(s.Metadata) { [key] = value });

    private static OptimizerState WithTensor(OptimizerState s, string key, Tensor value) =>
        new(new Dictionary<string, Tensor>(s.Tensors) { [key] = value }, s.Metadata);
}

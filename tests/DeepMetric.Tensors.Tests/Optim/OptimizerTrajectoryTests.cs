using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Tests.TestUtil;
using static DeepMetric.Tensors.Tests.Optim.OptimTestUtil;

namespace DeepMetric.Tensors.Tests.Optim;

public sealed class OptimizerTrajectoryTests
{
    private const int Steps = 12;
    private const double AbsTol = 2e-5;
    private const double RelTol = 1e-4;

    [Theory]
    [InlineData(0.1f, 0f, 0f, false, 0f)]
    [InlineData(0.05f, 0.9f, 0f, false, 0f)]
    [InlineData(0.05f, 0.9f, 0.3f, false, 0.01f)]
    [InlineData(0.05f, 0.9f, 0f, true, 0f)]
    [InlineData(0.05f, 0.8f, 0f, true, 0.1f)]
    [InlineData(0.2f, 0f, 0f, false, 0.5f)]
    public void SgdMatchesReference(float lr, float momentum, float dampening, bool nesterov, float weightDecay)
    {
        var p = Parameter();
        var opt = new Sgd([p], lr, momentum, dampening, nesterov, weightDecay);
        Run(opt, p, Steps);
        var expected = ReferenceRules.Sgd(ToDouble(Initial), Steps, lr, momentum, dampening, nesterov, weightDecay);
        Assertions.AllClose(expected, p.ReadOnlySpan, AbsTol, RelTol);
    }

    [Theory]
    [InlineData(0.01f, 0.9f, 0.999f, 1e-8f, 0f, false)]
    [InlineData(0.05f, 0.8f, 0.99f, 1e-6f, 0.1f, false)]
    [InlineData(0.05f, 0.9f, 0.999f, 1e-8f, 0f, true)]
    [InlineData(0.02f, 0.5f, 0.9f, 1e-3f, 0.05f, true)]
    [InlineData(0.01f, 0f, 0f, 1e-8f, 0f, false)]
    public void AdamMatchesReference(float lr, float beta1, float beta2, float eps, float weightDecay, bool amsgrad)
    {
        var p = Parameter();
        var opt = new Adam([p], lr, beta1, beta2, eps, weightDecay, amsgrad);
        Run(opt, p, Steps);
        var expected = ReferenceRules.Adam(ToDouble(Initial), Steps, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: false);
        Assertions.AllClose(expected, p.ReadOnlySpan, AbsTol, RelTol);
    }

    [Theory]
    [InlineData(0.01f, 0.9f, 0.999f, 1e-8f, 0.01f, false)]
    [InlineData(0.05f, 0.8f, 0.99f, 1e-6f, 0.5f, false)]
    [InlineData(0.05f, 0.9f, 0.999f, 1e-8f, 0.1f, true)]
    [InlineData(0.02f, 0.9f, 0.999f, 1e-8f, 0f, false)]
    public void AdamWMatchesReference(float lr, float beta1, float beta2, float eps, float weightDecay, bool amsgrad)
    {
        var p = Parameter();
        var opt = new AdamW([p], lr, beta1, beta2, eps, weightDecay, amsgrad);
        Run(opt, p, Steps);
        var expected = ReferenceRules.Adam(ToDouble(Initial), Steps, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled: true);
        Assertions.AllClose(expected, p.ReadOnlySpan, AbsTol, RelTol);
    }

    [Fact]
    public void AdamWDiffersFromAdamWithSameDecay()
    {
        var a = Parameter();
        var w = Parameter();
        Run(new Adam([a], 0.05f, weightDecay: 0.5f), a, Steps);
        Run(new AdamW([w], 0.05f, weightDecay: 0.5f), w, Steps);
        Assert.NotEqual(a.ToArray(), w.ToArray());
    }

    [Theory]
    [InlineData(0.01f, 0.99f, 1e-8f, 0f, 0f, false)]
    [InlineData(0.01f, 0.9f, 1e-6f, 0.1f, 0f, false)]
    [InlineData(0.005f, 0.9f, 1e-8f, 0f, 0.9f, false)]
    [InlineData(0.005f, 0.9f, 1e-3f, 0f, 0f, true)]
    [InlineData(0.002f, 0.95f, 1e-8f, 0.05f, 0.5f, true)]
    public void RmsPropMatchesReference(float lr, float alpha, float eps, float weightDecay, float momentum, bool centered)
    {
        var p = Parameter();
        var opt = new RmsProp([p], lr, alpha, eps, weightDecay, momentum, centered);
        Run(opt, p, Steps);
        var expected = ReferenceRules.RmsProp(ToDouble(Initial), Steps, lr, alpha, eps, weightDecay, momentum, centered);
        Assertions.AllClose(expected, p.ReadOnlySpan, AbsTol, RelTol);
    }

    [Fact]
    public void SgdFirstStepByHand()
    {
        // p = [1, -2], g = [0.5, 4], lr 0.1, wd 0.5: d = g + 0.5p = [1, 3]; p - 0.1d = [0.9, -2.3].
        var p = new Tensor([1f, -2f], [2]) { RequiresGrad = true, Grad = Tensor.FromArray([0.5f, 4f], 2) };
        new Sgd([p], 0.1f, weightDecay: 0.5f).Step();
        Assertions.AllClose([0.9f, -2.3f], p.ReadOnlySpan);
    }

    [Fact]
    public void AdamFirstStepMovesByLearningRateTimesSign()
    {
        // After bias correction the first Adam step is lr · g / (|g| + eps) = ±lr.
        var p = new Tensor([1f, -2f, 3f], [3]) { RequiresGrad = true, Grad = Tensor.FromArray([0.5f, -4f, 1e-3f], 3) };
        new Adam([p], 0.1f, eps: 0f).Step();
        Assertions.AllClose([0.9f, -1.9f, 2.9f], p.ReadOnlySpan);
    }

    [Fact]
    public void ZeroGradientLeavesParametersFinite()
    {
        // Adam and RMSprop divide by √v + ε; an all-zero gradient must give 0/ε, never 0/0.
        foreach (var make in new Func<Tensor, Optimizer>[] { p => new Adam([p]), p => new AdamW([p]), p => new RmsProp([p], centered: true), p => new Sgd([p], 0.1f, 0.9f, nesterov: true) })
        {
            var p = Parameter();
            var opt = make(p);
            for (int i = 0; i < 3; i++)
            {
                p.Grad = Tensor.Zeros(p.Size);
                opt.Step();
            }
            Assertions.AllFinite(p.ReadOnlySpan, opt.GetType().Name);
        }
    }

    public static TheoryData<string> AllOptimizers => new() { "Sgd", "SgdNesterov", "Adam", "AdamW", "AmsGrad", "RmsProp", "RmsPropCentered" };

    internal static Optimizer Make(string kind, IEnumerable<Tensor> ps) => kind switch
    {
        "Sgd" => new Sgd(ps, 0.05f),
        "SgdNesterov" => new Sgd(ps, 0.02f, momentum: 0.9f, nesterov: true, weightDecay: 1e-3f),
        "Adam" => new Adam(ps, 0.05f, weightDecay: 1e-3f),
        "AdamW" => new AdamW(ps, 0.05f, weightDecay: 1e-3f),
        "AmsGrad" => new AdamW(ps, 0.05f, amsGrad: true),
        "RmsProp" => new RmsProp(ps, 0.01f),
        "RmsPropCentered" => new RmsProp(ps, 0.005f, momentum: 0.5f, centered: true),
        _ => throw new ArgumentException(kind, nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(AllOptimizers))]
    public void QuadraticBowlConverges(string kind)
    {
        // f(p) = ½ Σ aᵢ (pᵢ − cᵢ)², minimum at c; gradients come from autograd.
        var a = Tensor.FromArray([1f, 2f, 0.5f, 1.5f], 4);
        var c = Tensor.FromArray([1f, -2f, 0.5f, 3f], 4);
        var p = new Tensor([0f, 0f, 0f, 0f], [4]) { RequiresGrad = true };
        var opt = Make(kind, [p]);
        for (int i = 0; i < 1500; i++)
        {
            opt.ZeroGrad();
            var d = p - c;
            (a * d * d * 0.5f).Sum().Backward();
            opt.Step();
        }
        Assertions.AllClose(c.ReadOnlySpan, p.ReadOnlySpan, 2e-2, 0);
    }
}

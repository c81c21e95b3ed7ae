using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests.Nn;

public sealed class ModuleTests
{
    // trunk → embedder, times a learned scalar: names "scale", "trunk.0.weight", "embedder.1.bias", ...
    private sealed class Net : Module
    {
        public Net(ulong seed)
        {
            var rng = new Prng(seed);
            Scale = RegisterParameter("scale", Tensor.Ones(1));
            Trunk = RegisterModule("trunk", new Sequential(new Linear(4, 3, rng: rng), new ReLU()));
            Embedder = RegisterModule("embedder", new Sequential(new ReLU(), new Linear(3, 2, rng: rng)));
            Counter = RegisterBuffer("counter", Tensor.Zeros(2));
        }

        public Tensor Scale { get; }

        public Sequential Trunk { get; }

        public Sequential Embedder { get; }

        public Tensor Counter { get; }

        public override Tensor Forward(Tensor x) => Embedder.Forward(Trunk.Forward(x)) * Scale;
    }

    // Exposes the protected registration methods to the tests.
    private sealed class Open : Module
    {
        public void Param(string name, Tensor t) => RegisterParameter(name, t);

        public void Child(string name, Module m) => RegisterModule(name, m);

        public override Tensor Forward(Tensor x) => x;
    }

    private static readonly string[] s_paramNames = ["scale", "trunk.0.weight", "trunk.0.bias", "embedder.1.weight", "embedder.1.bias"];

    [Fact]
    public void NamesAreDottedPathsInRegistrationOrder()
    {
        var net = new Net(1);
        Assert.Equal(s_paramNames, net.NamedParameters().Select(p => p.Key));
        Assert.Equal(["counter"], net.NamedBuffers().Select(p => p.Key));
        Assert.Equal([.. s_paramNames[..1], "counter", .. s_paramNames[1..]], net.StateDict().Keys);
        Assert.Equal(["trunk", "embedder"], net.NamedChildren().Select(c => c.Key));
        Assert.Same(net.Trunk[0], net.Children().First() is Sequential s ? s[0] : null);
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.False(net.Counter.RequiresGrad);
    }

    [Fact]
    public void ParameterCountCountsEveryScalarOnce()
    {
        var net = new Net(1);
        Assert.Equal(1 + (4 * 3) + 3 + (3 * 2) + 2, net.ParameterCount);

        var shared = new Linear(2, 2);
        var twice = new Sequential(shared, shared);
        Assert.Equal(6, twice.ParameterCount);
        Assert.Equal(["0.weight", "0.bias"], twice.NamedParameters().Select(p => p.Key));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], twice.StateDict().Keys);
    }

    [Fact]
    public void StateDictRoundTripCopiesValuesInPlace()
    {
        var source = new Net(1);
        var target = new Net(2);
        source.Counter.Span.Fill(3f);
        Assert.NotEqual(source.Trunk[0] is Linear l1 ? l1.Weight.ToArray() : null, target.Trunk[0] is Linear l2 ? l2.Weight.ToArray() : null);
        var weightBefore = ((Linear)target.Trunk[0]).Weight;

        var result = target.LoadStateDict(source.StateDict());

        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        var sd = source.StateDict();
        foreach (var (name, t) in target.StateDict())
        {
            Assert.Equal(sd[name].ToArray(), t.ToArray());
        }
        Assert.Same(weightBefore, ((Linear)target.Trunk[0]).Weight);
        // A copy, not an alias: changing the source afterwards leaves the target alone.
        ((Linear)source.Trunk[0]).Weight.Span[0] = 123f;
        Assert.NotEqual(123f, weightBefore.Span[0]);
        Assert.Equal(3f, target.Counter.Span[1]);
    }

    [Fact]
    public void StateDictValuesShareStorageButNotTheGraph()
    {
        var net = new Net(1);
        var sd = net.StateDict();
        Assert.False(sd["scale"].RequiresGrad);
        net.Scale.Span[0] = 5f;
        Assert.Equal(5f, sd["scale"].Item());
    }

    [Fact]
    public void MissingKeyIsNamed()
    {
        var net = new Net(1);
        var sd = new Net(2).StateDict();
        sd.Remove("embedder.1.bias");
        var before = net.StateDict()["scale"].ToArray();
        var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd));
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'embedder.1.bias'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", ex.Message, StringComparison.Ordinal);
        Assert.Equal("stateDict", ex.ParamName);
        Assert.Equal(before, net.Scale.ToArray());
    }

    [Fact]
    public void UnexpectedKeyIsNamedAndNothingIsCopied()
    {
        var net = new Net(1);
        var weight = ((Linear)net.Trunk[0]).Weight.ToArray();
        var sd = new Net(2).StateDict();
        sd.Add("head.weight", Tensor.Zeros(2, 2));
        var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd));
        Assert.Contains("unexpected", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'head.weight'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(weight, ((Linear)net.Trunk[0]).Weight.ToArray());
    }

    [Fact]
    public void ShapeMismatchNamesKeyAndBothShapesEvenWhenNotStrict()
    {
        var net = new Net(1);
        var sd = new Net(2).StateDict();
        sd["trunk.0.weight"] = Tensor.Zeros(4, 3);
        foreach (bool strict in new[] { true, false })
        {
            var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd, strict));
            Assert.Contains("'trunk.0.weight'", ex.Message, StringComparison.Ordinal);
            Assert.Contains("[4, 3]", ex.Message, StringComparison.Ordinal);
            Assert.Contains("[3, 4]", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NonStrictLoadReportsMissingAndUnexpectedKeys()
    {
        var net = new Net(1);
        var other = new Net(2);
        var sd = other.StateDict();
        sd.Remove("scale");
        sd.Remove("counter");
        sd.Add("extra", Tensor.Zeros(1));
        other.Scale.Span[0] = 9f;
        var result = net.LoadStateDict(sd, strict: false);
        Assert.Equal(["scale", "counter"], result.MissingKeys);
        Assert.Equal(["extra"], result.UnexpectedKeys);
        Assert.Equal(1f, net.Scale.Item());
        Assert.Equal(((Linear)other.Trunk[0]).Weight.ToArray(), ((Linear)net.Trunk[0]).Weight.ToArray());
    }

    [Fact]
    public void LoadingOwnStateDictIsANoOp()
    {
        var net = new Net(1);
        var before = ((Linear)net.Embedder[1]).Weight.ToArray();
        net.LoadStateDict(net.StateDict());
        Assert.Equal(before, ((Linear)net.Embedder[1]).Weight.ToArray());
    }

    [Fact]
    public void TrainAndEvalPropagateToAllDescendants()
    {
        var net = new Net(1);
        Assert.True(net.IsTraining);
        Assert.Same(net, net.Eval());
        Assert.False(net.IsTraining);
        Assert.False(net.Trunk.IsTraining);
        Assert.False(net.Trunk[1].IsTraining);
        Assert.False(net.Embedder[1].IsTraining);
        net.Train();
        Assert.True(net.Embedder[1].IsTraining);
        net.Train(false);
        Assert.False(net.Trunk[0].IsTraining);

        // A child added later adopts its parent's mode.
        var seq = new Sequential();
        seq.Eval();
        var late = new ReLU();
        seq.Add(late);
        Assert.False(late.IsTraining);
    }

    [Fact]
    public void ZeroGradClearsEveryGradient()
    {
        var net = new Net(1);
        var x = Tensor.Rand(new Prng(5), [3, 4], -1f, 1f);
        Ops.Sum(net.Forward(x)).Backward();
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ForwardThroughNestedModulesMatchesManualComputation()
    {
        var net = new Net(3);
        net.Scale.Span[0] = 2f;
        var x = Tensor.Rand(new Prng(6), [2, 4], -1f, 1f);
        var l1 = (Linear)net.Trunk[0];
        var l2 = (Linear)net.Embedder[1];
        var w1 = l1.Weight.ToArray();
        var b1 = l1.Bias!.ToArray();
        var w2 = l2.Weight.ToArray();
        var b2 = l2.Bias!.ToArray();
        var xs = x.ToArray();
        var expected = new double[4];
        for (int n = 0; n < 2; n++)
        {
            var h = new double[3];
            for (int j = 0; j < 3; j++)
            {
                double s = b1[j];
                for (int i = 0; i < 4; i++)
                {
                    s += xs[(n * 4) + i] * (double)w1[(j * 4) + i];
                }
                h[j] = Math.Max(s, 0);
            }
            for (int o = 0; o < 2; o++)
            {
                double s = b2[o];
                for (int j = 0; j < 3; j++)
                {
                    s += h[j] * w2[(o * 3) + j];
                }
                expected[(n * 2) + o] = 2 * s;
            }
        }
        Assertions.AllClose(expected, net.Forward(x).ToArray());
    }

    [Fact]
    public void RegistrationRejectsBadNamesDuplicatesAndCycles()
    {
        var m = new Open();
        Assert.Throws<ArgumentException>(() => m.Param("a.b", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => m.Param("", Tensor.Zeros(1)));
        Assert.Throws<ArgumentNullException>(() => m.Param(null!, Tensor.Zeros(1)));
        m.Param("w", Tensor.Zeros(1));
        var dup = Assert.Throws<ArgumentException>(() => m.Child("w", new ReLU()));
        Assert.Contains("'w'", dup.Message, StringComparison.Ordinal);
        var nonLeaf = Tensor.Zeros(2);
        nonLeaf.RequiresGrad = true;
        Assert.Throws<ArgumentException>(() => m.Param("v", nonLeaf * 2f));

        Assert.Throws<ArgumentException>(() => m.Child("self", m));
        var outer = new Sequential();
        var inner = new Sequential();
        outer.Add(inner);
        var cycle = Assert.Throws<ArgumentException>(() => inner.Add(outer));
        Assert.Contains("cycle", cycle.Message, StringComparison.Ordinal);
    }
}

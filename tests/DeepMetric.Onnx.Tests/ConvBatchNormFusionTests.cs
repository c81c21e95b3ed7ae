using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

/// <summary>
/// Conv → BatchNormalization [→ Add] [→ Relu] chains run as one convolution with a fused output pass when nothing needs
/// a gradient: the same values as the nodes run one by one (bit for bit) and as ONNX Runtime (the oracle); the
/// unfused nodes whenever a gradient is wanted, so training is unchanged.
/// </summary>
public sealed class ConvBatchNormFusionTests(ITestOutputHelper output)
{
    private static string BatchNorm(GraphBuilder g, string x, int channels, ulong seed)
    {
        var rng = new Prng(seed);
        var variance = Tensor.Rand(rng, [channels], 0.3f, 2f).ToArray();
        return g.Node("BatchNormalization", [x, g.Random(seed + 1, channels), g.Random(seed + 2, channels), g.Random(seed + 3, channels), g.Init(variance, channels)],
            A("epsilon", 1e-3f));
    }

    // A downsampling residual unit as CNTK exports it (3×3 stride 2 padded top/left only, 1×1 stride-2 shortcut), then
    // an identity unit; both end in Add → Relu.
    private static GraphBuilder ResidualUnits(int c, int o)
    {
        var g = new GraphBuilder(8, -1, c, 12, 12);
        string a = g.Node("Relu", [BatchNorm(g, g.Node("Conv", ["x", g.Random(1, o, c, 3, 3)], A("kernel_shape", 3L, 3L), A("strides", 2L, 2L), A("pads", 1L, 1L, 0L, 0L)), o, 10)]);
        string main = BatchNorm(g, g.Node("Conv", [a, g.Random(2, o, o, 3, 3)], A("kernel_shape", 3L, 3L), A("pads", 1L, 1L, 1L, 1L)), o, 20);
        string shortcut = BatchNorm(g, g.Node("Conv", ["x", g.Random(3, o, c, 1, 1)], A("kernel_shape", 1L, 1L), A("strides", 2L, 2L)), o, 30);
        string unit1 = g.Node("Relu", [g.Node("Add", [main, shortcut])]);
        string b = g.Node("Relu", [BatchNorm(g, g.Node("Conv", [unit1, g.Random(4, o, o, 3, 3), g.Random(5, o)], A("kernel_shape", 3L, 3L), A("pads", 1L, 1L, 1L, 1L)), o, 40)]);
        string main2 = BatchNorm(g, g.Node("Conv", [b, g.Random(6, o, o, 3, 3)], A("kernel_shape", 3L, 3L), A("pads", 1L, 1L, 1L, 1L)), o, 50);
        g.Output(g.Node("Relu", [g.Node("Add", [unit1, main2])]));
        return g;
    }

    private static (float[] Fused, float[] Unfused) RunBoth(OnnxModule module, Tensor x)
    {
        using (Tensor.NoGrad())
        {
            module.FuseInference = true;
            var fused = module.Forward(x).ToArray();
            module.FuseInference = false;
            var unfused = module.Forward(x).ToArray();
            module.FuseInference = true;
            return (fused, unfused);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Residual_units_fuse_and_match_the_unfused_nodes_and_onnx_runtime(int batch)
    {
        var g = ResidualUnits(6, 16);
        var module = OnnxGraphLoader.Load(g.Bytes(), "units.onnx");
        // 5 convolutions: each with its batch norm, two with Add and Relu, two with Relu; the shortcut's chain stops
        // at its batch norm because the main path took the Add.
        Assert.Equal(16, module.NodeCount);
        Assert.Equal(5, module.FusedNodeCount);
        var xs = Tensor.Rand(new Prng(7), [batch, 6, 12, 12], -2f, 2f).ToArray();
        var (fused, unfused) = RunBoth(module, Tensor.FromArray(xs, batch, 6, 12, 12));
        Assert.Equal(unfused, fused);
        var (ort, dims) = Oracle.RunOrt(g.Bytes(), xs, [batch, 6, 12, 12]);
        Oracle.Compare(fused, [batch, 16, 6, 6], ort, dims);
    }

    [Fact]
    public void A_broadcasting_add_or_a_second_reader_keeps_the_nodes_apart()
    {
        var g = new GraphBuilder(13, -1, 4, 7, 7);
        string conv = g.Node("Conv", ["x", g.Random(1, 8, 4, 3, 3)], A("pads", 1L, 1L, 1L, 1L));
        string bn = BatchNorm(g, conv, 8, 10);
        string biased = g.Node("Relu", [g.Node("Add", [bn, g.Random(20, 8, 1, 1)])]);
        // The second convolution's output is also read by the final Add: it cannot be fused away.
        string conv2 = g.Node("Conv", [biased, g.Random(2, 8, 8, 3, 3)], A("pads", 1L, 1L, 1L, 1L));
        string bn2 = g.Node("Relu", [BatchNorm(g, conv2, 8, 30)]);
        g.Output(g.Node("Add", [bn2, conv2]));
        var module = OnnxGraphLoader.Load(g.Bytes(), "apart.onnx");
        Assert.Equal(8, module.NodeCount);
        // The first chain is one node (its Add broadcasts a constant, so at run time it runs its nodes one by one); the
        // second convolution and everything after it stay apart.
        Assert.Equal(5, module.FusedNodeCount);
        var xs = Tensor.Rand(new Prng(8), [2, 4, 7, 7], -2f, 2f).ToArray();
        var (fused, unfused) = RunBoth(module, Tensor.FromArray(xs, 2, 4, 7, 7));
        Assert.Equal(unfused, fused);
        var (ort, dims) = Oracle.RunOrt(g.Bytes(), xs, [2, 4, 7, 7]);
        Oracle.Compare(fused, [2, 8, 7, 7], ort, dims);
    }

    [Fact]
    public void With_gradients_the_chain_gives_the_unfused_values_and_gradients_bit_for_bit()
    {
        var bytes = ResidualUnits(3, 8).Bytes();
        var xs = Tensor.Rand(new Prng(9), [2, 3, 12, 12], -2f, 2f).ToArray();
        (float[] Y, List<float[]> Grads, float[] Dx) Step(bool fuse, bool freezeFirstConv)
        {
            var module = OnnxGraphLoader.Load(bytes, "units.onnx");
            module.FuseInference = fuse;
            var first = module.Parameters().First();
            first.RequiresGrad = !freezeFirstConv;
            var x = Tensor.FromArray(xs, 2, 3, 12, 12);
            x.RequiresGrad = true;
            var y = module.Forward(x);
            Ops.Sum(Ops.Mul(y, y)).Backward();
            return (y.ToArray(), [.. module.Parameters().Where(p => p.RequiresGrad).Select(p => p.Grad!.ToArray())], x.Grad!.ToArray());
        }
        foreach (bool freeze in new[] { false, true })
        {
            var fused = Step(true, freeze);
            var unfused = Step(false, freeze);
            Assert.Equal(unfused.Y, fused.Y);
            Assert.Equal(unfused.Dx, fused.Dx);
            Assert.Equal(unfused.Grads.Count, fused.Grads.Count);
            for (int i = 0; i < fused.Grads.Count; i++)
            {
                Assert.Equal(unfused.Grads[i], fused.Grads[i]);
            }
        }
    }

    [Fact]
    public void A_frozen_prefix_is_fused_while_the_fine_tuned_units_train()
    {
        var bytes = ResidualUnits(3, 8).Bytes();
        var module = OnnxGraphLoader.Load(bytes, "units.onnx");
        module.SetTrainable(false);
        // Only the second unit (its two convolutions and batch norms: the parameters after the first unit's nine) trains,
        // as --finetune 1 would set it.
        var names = module.ParameterNames;
        var trainable = module.NamedParameters().Skip(9).Select(kv => kv.Value).ToList();
        foreach (var p in trainable)
        {
            p.RequiresGrad = true;
        }
        var x = Tensor.Rand(new Prng(10), [2, 3, 12, 12], -2f, 2f);
        var reference = OnnxGraphLoader.Load(bytes, "units.onnx");
        reference.FuseInference = false;
        reference.SetTrainable(false);
        foreach (var p in reference.NamedParameters().Skip(9).Select(kv => kv.Value))
        {
            p.RequiresGrad = true;
        }
        var y = module.Forward(x);
        var yRef = reference.Forward(x);
        Assert.Equal(yRef.ToArray(), y.ToArray());
        Ops.Sum(y).Backward();
        Ops.Sum(yRef).Backward();
        var refGrads = reference.NamedParameters().Skip(9).Select(kv => kv.Value.Grad!.ToArray()).ToList();
        Assert.Equal(refGrads, trainable.Select(p => p.Grad!.ToArray()).ToList());
        Assert.All(module.NamedParameters().Take(9), kv => Assert.Null(kv.Value.Grad));
        Assert.NotEmpty(names);
    }

    [Fact]
    public void ResNet18_fused_matches_unfused_and_onnx_runtime()
    {
        var path = ResNetFiles.ResNet18 ?? throw new InvalidOperationException("ResNet18.onnx was not found in the restored package folder.");
        var module = OnnxModule.FromFile(path);
        module.SetTrainable(false);
        // 20 Conv+BN chains (16 with ReLU, 8 of those with the residual Add), the 1×1 shortcuts with their BN only.
        output.WriteLine($"nodes {module.NodeCount}, fused plan {module.FusedNodeCount}");
        Assert.True(module.FusedNodeCount < module.NodeCount / 2, $"{module.FusedNodeCount} of {module.NodeCount}");
        var xs = Tensor.Rand(new Prng(5), [2, 3, 224, 224], -120f, 130f).ToArray();
        var (fused, unfused) = RunBoth(module, Tensor.FromArray(xs, 2, 3, 224, 224));
        Assert.Equal(unfused, fused);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        int per = 3 * 224 * 224;
        for (int i = 0; i < 2; i++)
        {
            var (ort, dims) = Oracle.RunOrt(session, xs[(i * per)..((i + 1) * per)], [1, 3, 224, 224], module.InputName);
            Oracle.Compare(fused[(i * 512)..((i + 1) * 512)], [1, 512, 1, 1], ort, dims);
        }
    }
}

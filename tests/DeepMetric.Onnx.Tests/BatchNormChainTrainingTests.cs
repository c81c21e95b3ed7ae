using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

/// <summary>
/// With gradients on, each fused Conv → BatchNormalization [→ Add] [→ Relu] chain runs its convolution and then one
/// training op for the rest (<see cref="BatchNormChainTraining"/>): the same values as ONNX Runtime, and the same losses,
/// gradients and weights over several SGD steps as the graph's nodes run one by one.
/// </summary>
public sealed class BatchNormChainTrainingTests
{
    private static string BatchNorm(GraphBuilder g, string x, int channels, ulong seed)
    {
        var variance = Tensor.Rand(new Prng(seed), [channels], 0.3f, 2f).ToArray();
        return g.Node("BatchNormalization", [x, g.Random(seed + 1, channels), g.Random(seed + 2, channels), g.Random(seed + 3, channels), g.Init(variance, channels)],
            A("epsilon", 1e-3f));
    }

    // A stem (Conv → BN → Relu), an identity residual unit (… → Add → Relu) and a last Conv → BN without a ReLU.
    private static GraphBuilder Units(int c, int o)
    {
        var g = new GraphBuilder(13, -1, c, 9, 9);
        string stem = g.Node("Relu", [BatchNorm(g, g.Node("Conv", ["x", g.Random(1, o, c, 3, 3)], A("pads", 1L, 1L, 1L, 1L)), o, 10)]);
        string a = g.Node("Relu", [BatchNorm(g, g.Node("Conv", [stem, g.Random(2, o, o, 3, 3)], A("pads", 1L, 1L, 1L, 1L)), o, 20)]);
        string b = BatchNorm(g, g.Node("Conv", [a, g.Random(3, o, o, 3, 3), g.Random(4, o)], A("pads", 1L, 1L, 1L, 1L)), o, 30);
        string unit = g.Node("Relu", [g.Node("Add", [stem, b])]);
        g.Output(BatchNorm(g, g.Node("Conv", [unit, g.Random(5, o, o, 1, 1)]), o, 40));
        return g;
    }

    [Fact]
    public void With_gradients_the_chain_tail_is_one_op_and_matches_onnx_runtime()
    {
        var g = Units(3, 8);
        var module = OnnxGraphLoader.Load(g.Bytes(), "units.onnx");
        var xs = Tensor.Rand(new Prng(3), [2, 3, 9, 9], -2f, 2f).ToArray();
        var y = module.Forward(Tensor.FromArray(xs, 2, 3, 9, 9));
        Assert.Equal("FrozenBatchNorm", y.Operation);
        var (ort, dims) = Oracle.RunOrt(g.Bytes(), xs, [2, 3, 9, 9]);
        Oracle.Compare(y.ToArray(), [2, 8, 9, 9], ort, dims);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Sgd_steps_give_the_losses_and_weights_of_the_unfused_nodes(int batch)
    {
        var bytes = Units(3, 8).Bytes();
        (List<float> Losses, List<float[]> Weights) Train(bool fuse)
        {
            var module = OnnxGraphLoader.Load(bytes, "units.onnx");
            module.FuseInference = fuse;
            var opt = new Sgd(module.Parameters(), 0.05f, momentum: 0.9f);
            var rng = new Prng(21);
            var losses = new List<float>();
            for (int step = 0; step < 3; step++)
            {
                using var scope = TensorScope.Enter();
                opt.ZeroGrad(reuseStorage: step % 2 == 1);
                var x = Tensor.Rand(rng, [batch, 3, 9, 9], -2f, 2f);
                var y = module.Forward(x);
                var loss = Ops.Mean(Ops.Mul(y, y));
                loss.Backward();
                opt.Step();
                losses.Add(loss.Item());
            }
            return (losses, [.. module.Parameters().Select(p => p.ToArray())]);
        }
        var fused = Train(true);
        var unfused = Train(false);
        Assert.Equal(unfused.Losses, fused.Losses);
        Assert.Equal(unfused.Weights.Count, fused.Weights.Count);
        for (int i = 0; i < fused.Weights.Count; i++)
        {
            Assert.Equal(unfused.Weights[i], fused.Weights[i]);
        }
    }
}

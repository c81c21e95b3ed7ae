using DeepMetric.Onnx.Import;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using static DeepMetric.Onnx.Tests.TestUtil.GraphBuilder;

namespace DeepMetric.Onnx.Tests;

/// <summary>Blocks as torchvision/timm export them (a ViT encoder block, a MobileNetV3 block), against ONNX Runtime.</summary>
public sealed class BackboneBlockTests
{
    private static GraphBuilder VitBlock()
    {
        var g = new GraphBuilder(17, -1, 4, 8);
        var ln = g.Node("LayerNormalization", ["x", g.Random(1, 8), g.Random(2, 8)], A("axis", -1L), A("epsilon", 1e-6f));
        var q = g.Node("MatMul", [ln, g.Random(3, 8, 8)]);
        var k = g.Node("MatMul", [ln, g.Random(4, 8, 8)]);
        var v = g.Node("MatMul", [ln, g.Random(5, 8, 8)]);
        var kt = g.Node("Transpose", [k], A("perm", 0L, 2L, 1L));
        var scores = g.Node("Div", [g.Node("MatMul", [q, kt]), g.Init([MathF.Sqrt(8f)], [])]);
        var attn = g.Node("Softmax", [scores], A("axis", -1L));
        var r = g.Node("Add", ["x", g.Node("MatMul", [attn, v])]);
        // Exact GELU as PyTorch exports it: x · 0.5 · (1 + erf(x / √2)).
        var erf = g.Node("Erf", [g.Node("Div", [r, g.Init([1.4142135f], [])])]);
        var gelu = g.Node("Mul", [g.Node("Mul", [r, g.Node("Add", [erf, g.Init([1f], [])])]), g.Init([0.5f], [])]);
        g.Output(g.Node("Gather", [gelu, g.InitInts([0], [])], A("axis", 1L)));
        return g;
    }

    [Fact]
    public void Vit_encoder_block_matches_onnx_runtime_and_its_gradients_match_finite_differences()
    {
        var g = VitBlock();
        Oracle.Check(g, [3, 4, 8]);
        var module = OnnxGraphLoader.Load(g.Bytes(), "vit.onnx");
        var x = Tensor.Rand(new Prng(2), [2, 4, 8], -1f, 1f);
        x.RequiresGrad = true;
        var r = Tensor.Rand(new Prng(3), [2, 8], 0.5f, 1.5f);
        Ops.Sum(module.Forward(x) * r).Backward();
        var analytic = x.Grad!.ToArray();
        for (int i = 0; i < x.Size; i += 3)
        {
            float orig = x.Span[i];
            double F(float v)
            {
                x.Span[i] = v;
                using (Tensor.NoGrad())
                {
                    var y = module.Forward(x).ToArray();
                    var rr = r.ToArray();
                    return y.Select((t, j) => (double)t * rr[j]).Sum();
                }
            }
            double numeric = (F(orig + 1e-2f) - F(orig - 1e-2f)) / 2e-2;
            x.Span[i] = orig;
            Assert.True(Math.Abs(numeric - analytic[i]) <= 3e-3 + (2e-2 * Math.Abs(numeric)), $"element {i}: analytic {analytic[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void MobileNetV3_block_with_depthwise_conv_and_squeeze_excitation_matches_onnx_runtime()
    {
        var g = new GraphBuilder(14, -1, 8, 12, 12);
        var expand = g.Node("HardSwish", [g.Node("Conv", ["x", g.Random(1, 16, 8, 1, 1), g.Random(2, 16)])]);
        var dw = g.Node("Conv", [expand, g.Random(3, 16, 1, 3, 3), g.Random(4, 16)], A("group", 16L), A("strides", 2L, 2L), A("pads", 1L, 1L, 1L, 1L));
        var act = g.Node("Relu", [dw]);
        var se = g.Node("GlobalAveragePool", [act]);
        se = g.Node("Relu", [g.Node("Conv", [se, g.Random(5, 4, 16, 1, 1), g.Random(6, 4)])]);
        se = g.Node("HardSigmoid", [g.Node("Conv", [se, g.Random(7, 16, 4, 1, 1), g.Random(8, 16)])], A("alpha", 1f / 6f), A("beta", 0.5f));
        var scaled = g.Node("Mul", [act, se]);
        var project = g.Node("Conv", [scaled, g.Random(9, 8, 16, 1, 1)]);
        var clipped = g.Node("Clip", [project, g.Init([0f], []), g.Init([6f], [])]);
        g.Output(clipped);
        Oracle.Check(g, [2, 8, 12, 12]);
    }
}

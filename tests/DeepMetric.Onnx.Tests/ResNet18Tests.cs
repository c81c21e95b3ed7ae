using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace DeepMetric.Onnx.Tests;

/// <summary>The ImageNet ResNet-18 shipped by Microsoft.ML.DnnImageFeaturizer.ResNet18 (CNTK export, opset 8), against ONNX Runtime.</summary>
public sealed class ResNet18Tests(ITestOutputHelper output)
{
    private static string Model => ResNetFiles.ResNet18 ?? throw new InvalidOperationException("ResNet18.onnx was not found in the restored package folder.");

    // BGR 0–255 minus a mean image: values of roughly ±128.
    private static float[] Images(int n, int side, ulong seed) => Tensor.Rand(new Prng(seed), [n, 3, side, side], -120f, 130f).ToArray();

    [Fact]
    public void Batch_1_and_batch_3_match_onnx_runtime()
    {
        var module = OnnxModule.FromFile(Model);
        Assert.Equal([1, 3, 224, 224], module.DeclaredInputShape);
        Assert.Equal(8, module.Opset);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(Model, options);
        var x = Images(3, 224, 5);
        Tensor ours;
        using (Tensor.NoGrad())
        {
            ours = module.Forward(Tensor.FromArray(x, 3, 3, 224, 224));
        }
        Assert.Equal([3, 512, 1, 1], ours.Shape);
        var ourValues = ours.ToArray();
        double worst = 0;
        for (int i = 0; i < 3; i++)
        {
            // The file fixes batch 1, so ONNX Runtime runs the images one by one.
            var (ort, dims) = Oracle.RunOrt(session, x[(i * 3 * 224 * 224)..((i + 1) * 3 * 224 * 224)], [1, 3, 224, 224], module.InputName);
            worst = Math.Max(worst, Oracle.Compare(ourValues[(i * 512)..((i + 1) * 512)], [1, 512, 1, 1], ort, dims));
        }
        output.WriteLine($"ResNet18.onnx max relative error vs ORT: {worst:G3}");
    }

    [Fact]
    public void The_preprocessing_graph_matches_onnx_runtime_and_runs_batches()
    {
        var path = ResNetFiles.Preprocess ?? throw new InvalidOperationException("ResNetPreprocess.onnx was not found in the restored package folder.");
        var module = OnnxModule.FromFile(path);
        var rgb = Tensor.Rand(new Prng(8), [2, 3, 224, 224], 0f, 255f).ToArray();
        Tensor ours;
        using (Tensor.NoGrad())
        {
            ours = module.Forward(Tensor.FromArray(rgb, 2, 3, 224, 224));
        }
        using var session = new InferenceSession(path);
        int per = 3 * 224 * 224;
        for (int i = 0; i < 2; i++)
        {
            var (ort, dims) = Oracle.RunOrt(session, rgb[(i * per)..((i + 1) * per)], [1, 3, 224, 224], module.InputName);
            Oracle.Compare(ours.ToArray()[(i * per)..((i + 1) * per)], [1, 3, 224, 224], ort, dims);
        }
    }

    [Fact]
    public void Has_trainable_weights_and_frozen_batchnorm_statistics()
    {
        var module = OnnxModule.FromFile(Model);
        // 22 convolutions (this CNTK export has two more 512×512 ones than torchvision's) and 22 batch norms: the conv
        // weights and BN scale/shift are parameters, the BN running means and variances buffers.
        Assert.InRange(module.ParameterCount, 15_000_000, 17_000_000);
        Assert.Equal(44, module.NamedBuffers().Count());
        Assert.Equal(22 + 44, module.Parameters().Count());
        module.SetTrainable(false);
        Assert.All(module.Parameters(), p => Assert.False(p.RequiresGrad));
    }

    [Fact]
    public void An_input_side_that_is_not_a_multiple_of_32_fails_with_a_clear_error()
    {
        var module = OnnxModule.FromFile(Model);
        var e = Assert.Throws<InvalidOperationException>(() => module.OutputShapeFor(1, 3, 112, 112));
        Assert.Contains("multiples of 32", e.Message, StringComparison.Ordinal);
        Assert.Contains("ResNet18.onnx", e.Message, StringComparison.Ordinal);
        var channels = Assert.Throws<ArgumentException>(() => module.OutputShapeFor(1, 1, 224, 224));
        Assert.Contains("3 channels", channels.Message, StringComparison.Ordinal);
    }
}

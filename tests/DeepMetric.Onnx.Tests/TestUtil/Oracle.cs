using System.Runtime.CompilerServices;
using DeepMetric.Onnx.Import;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Onnx.Tests.TestUtil;

/// <summary>Runs a model in ONNX Runtime (the independent oracle) and in our import, and compares.</summary>
internal static class Oracle
{
    public static (float[] Values, int[] Dims) RunOrt(byte[] model, float[] x, int[] shape, string input = "x")
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        return RunOrt(session, x, shape, input);
    }

    public static (float[] Values, int[] Dims) RunOrt(InferenceSession session, float[] x, int[] shape, string input = "x")
    {
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, shape)) };
        using var results = session.Run(inputs);
        var t = results.First().AsTensor<float>();
        return (t.ToArray(), t.Dimensions.ToArray());
    }

    public static Tensor RunOurs(byte[] model, float[] x, int[] shape)
    {
        var module = OnnxGraphLoader.Load(model, "test.onnx");
        using (Tensor.NoGrad())
        {
            return module.Forward(Tensor.FromArray(x, shape));
        }
    }

    /// <summary>Max |ours − ORT| relative to ORT's largest magnitude; asserts shapes equal and the error ≤ tol.</summary>
    public static double Compare(float[] ours, int[] ourDims, float[] ort, int[] ortDims, double tol = 1e-4, [CallerMemberName] string what = "")
    {
        Assert.Equal(ortDims, ourDims);
        double scale = 0, err = 0;
        for (int i = 0; i < ort.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(ort[i]));
        }
        for (int i = 0; i < ort.Length; i++)
        {
            err = Math.Max(err, Math.Abs(ours[i] - ort[i]));
        }
        double rel = err / Math.Max(scale, 1e-12);
        // For the fidelity table: DEEPMETRIC_ONNX_FIDELITY_LOG=file collects every comparison.
        if (Environment.GetEnvironmentVariable("DEEPMETRIC_ONNX_FIDELITY_LOG") is { Length: > 0 } log)
        {
            File.AppendAllText(log, FormattableString.Invariant($"{what}\t[{string.Join(",", ortDims)}]\t{rel:G3}\n"));
        }
        Assert.True(rel <= tol, $"max |ours − ORT| = {err:G4} is {rel:G3} of the largest magnitude {scale:G4} (tolerance {tol}).");
        return rel;
    }

    public static double Check(GraphBuilder g, int[] shape, ulong seed = 1, float lo = -2f, float hi = 2f, [CallerMemberName] string what = "")
    {
        var bytes = g.Bytes();
        var x = Tensor.Rand(new DeepMetric.Tensors.Random.Prng(seed), shape, lo, hi).ToArray();
        var (ort, ortDims) = RunOrt(bytes, x, shape);
        var ours = RunOurs(bytes, x, shape);
        return Compare(ours.ToArray(), ours.Shape, ort, ortDims, what: what);
    }
}

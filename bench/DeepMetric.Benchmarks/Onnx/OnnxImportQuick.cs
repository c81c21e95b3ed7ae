using System.Diagnostics;
using DeepMetric.Onnx;
using DeepMetric.Tensors.Random;
using Microsoft.ML.OnnxRuntime;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Benchmarks.Onnx;

/// <summary>
/// Import time of any ONNX file named by DEEPMETRIC_ONNX_IMPORT (e.g. a torchvision ResNet-50 exported by PyTorch;
/// docs/onnx.md has the command), min and median of 5 imports, plus the max relative error of our forward pass on a
/// batch of 2 at 224×224 against ONNX Runtime's. Without the variable the benchmark reports nothing.
/// </summary>
public static class OnnxImportQuick
{
    public static IEnumerable<BenchRecord> Run()
    {
        var path = Environment.GetEnvironmentVariable("DEEPMETRIC_ONNX_IMPORT");
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            Console.Error.WriteLine("onnximport: set DEEPMETRIC_ONNX_IMPORT to an ONNX file taking [N, 3, 224, 224]; skipped.");
            return [];
        }
        var times = new double[5];
        OnnxModule module = null!;
        for (int r = 0; r < times.Length; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            module = OnnxModule.FromFile(path);
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(times);

        var x = Tensor.Rand(new Prng(1), [2, 3, 224, 224], -2f, 2f);
        float[] ours;
        using (Tensor.NoGrad())
        {
            ours = module.Forward(x).ToArray();
        }
        using var session = new InferenceSession(path);
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.ToArray(), new[] { 2, 3, 224, 224 });
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), input)]);
        var ort = results.First().AsEnumerable<float>().ToArray();
        double scale = ort.Max(v => Math.Abs((double)v)), err = 0;
        for (int i = 0; i < ort.Length; i++)
        {
            err = Math.Max(err, Math.Abs((double)ours[i] - ort[i]));
        }
        return
        [
            new("onnximport/import_seconds_min", times[0], "s"),
            new("onnximport/import_seconds_median", times[times.Length / 2], "s"),
            // In units of 1e-7: the records are printed with three decimals.
            new("onnximport/max_relative_error_vs_ort", err / Math.Max(scale, 1e-30) * 1e7, "1e-7"),
        ];
    }
}

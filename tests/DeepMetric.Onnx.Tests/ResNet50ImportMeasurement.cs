using System.Diagnostics;
using System.Globalization;
using DeepMetric.Onnx.Tests.TestUtil;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Onnx.Tests;

/// <summary>
/// A measurement (skipped unless DEEPMETRIC_RESNET50_ONNX names a file): import time of a torchvision ResNet-50 exported
/// by PyTorch (docs/onnx.md has the export command; CI has no Python to make the file) and its forward pass against
/// ONNX Runtime. Writes its figures to the file's name + ".tsv".
/// </summary>
public sealed class ResNet50ImportMeasurement
{
    [MeasurementFact("DEEPMETRIC_RESNET50_ONNX")]
    public void Import_time_and_fidelity_of_a_resnet50()
    {
        string path = Environment.GetEnvironmentVariable("DEEPMETRIC_RESNET50_ONNX")!;
        var times = new List<double>();
        OnnxModule? module = null;
        for (int r = 0; r < 5; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            module = OnnxModule.FromFile(path);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        var sorted = times.Order().ToArray();
        var x = Tensor.Rand(new Prng(1), [2, 3, 224, 224], -2f, 2f);
        long f0 = Stopwatch.GetTimestamp();
        Tensor ours;
        using (Tensor.NoGrad())
        {
            ours = module!.Forward(x);
        }
        double oursSeconds = Stopwatch.GetElapsedTime(f0).TotalSeconds;
        var (ort, dims) = Oracle.RunOrt(File.ReadAllBytes(path), x.ToArray(), [2, 3, 224, 224], module.InputName);
        double rel = Oracle.Compare(ours.ToArray(), ours.Shape, ort, dims);
        File.WriteAllText(path + ".tsv", string.Create(CultureInfo.InvariantCulture,
            $"file\t{path}\t{new FileInfo(path).Length} bytes\t{module.NodeCount} nodes\t{module.Parameters().Sum(p => (long)p.Size)} parameter values\n" +
            $"import seconds (5 repeats)\t{string.Join(' ', times.Select(t => t.ToString("F3", CultureInfo.InvariantCulture)))}\tmin {sorted[0]:F3}\tmedian {sorted[2]:F3}\n" +
            $"forward batch 2 at 224 px (ours, seconds)\t{oursSeconds:F2}\n" +
            $"max rel. error vs ONNX Runtime\t{rel:G3}\n"));
    }
}

using DeepMetric.Onnx;
using DeepMetric.Onnx.Export;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using Microsoft.ML.OnnxRuntime;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Benchmarks.Onnx;

/// <summary>
/// How exact the fp32 Winograd forward paths are on realistic weights: every 3×3 stride-1 convolution weight of the
/// ImageNet ResNet-18 (ResNet18.onnx) applied to half-normal inputs (ReLU of N(0, 1), what follows BatchNorm + ReLU) at
/// its layer's size, by F(4×4, 3×3), F(2×2, 3×3) and im2col, against a direct convolution in double precision: the
/// largest absolute error relative to the largest |output| and to the outputs' RMS. Then the whole network's output
/// for one image with F(4×4, 3×3) forced on every 3×3 stride-1 layer and with F(2×2, 3×3), against ONNX Runtime's. Prints a table to stderr.
/// </summary>
public static class WinogradErrorQuick
{
    public static IEnumerable<BenchRecord> Run()
    {
        var path = ResNet18Quick.FindModel();
        if (path is null)
        {
            Console.Error.WriteLine("winoerr: ResNet18.onnx not found (set DEEPMETRIC_RESNET18); skipped.");
            return [];
        }
        var module = OnnxModule.FromFile(path);
        module.SetTrainable(false);
        var records = new List<BenchRecord>();
        var rng = new Prng(3);
        int layer = 0;
        var seen = new HashSet<int>();
        foreach (var (name, w) in module.NamedParameters().Concat(module.NamedBuffers()))
        {
            if (w.Rank != 4 || w.Dims[2] != 3 || w.Dims[3] != 3 || w.Dims[0] != w.Dims[1])
            {
                continue;
            }
            int c = w.Dims[1], side = c switch { 64 => 56, 128 => 28, 256 => 14, _ => 7 };
            var xv = new float[c * side * side];
            for (int i = 0; i < xv.Length; i++)
            {
                xv[i] = (float)Math.Max(0, rng.NextNormal());
            }
            var x = new Tensor(xv, [1, c, side, side]);
            var exact = Direct(x.ToArray(), w.ToArray(), c, side);
            double maxAbs = exact.Max(Math.Abs), rms = Math.Sqrt(exact.Average(v => v * v));
            string line = FormattableString.Invariant($"{name,-28} {c,4}@{side,-3}");
            foreach (var (path_, f2, f4, im2col) in new[] { ("f4", false, true, false), ("f2", true, false, false), ("im2col", false, false, true) })
            {
                WinogradF4.ForceF4 = f4;
                WinogradF4.ForceF2 = f2;
                Winograd.ForceWinograd = f2;
                Winograd.ForceIm2Col = im2col;
                float[] y;
                try
                {
                    using (Tensor.NoGrad())
                    {
                        y = Ops.Conv2d(x, w, null, 1, 1).ToArray();
                    }
                }
                finally
                {
                    WinogradF4.ForceF4 = false;
                    WinogradF4.ForceF2 = false;
                    Winograd.ForceWinograd = false;
                    Winograd.ForceIm2Col = false;
                }
                double err = 0;
                for (int i = 0; i < y.Length; i++)
                {
                    err = Math.Max(err, Math.Abs(y[i] - exact[i]));
                }
                line += FormattableString.Invariant($"  {path_} {err / maxAbs:E2} max, {err / rms:E2} rms");
                if (seen.Add((c * 4) + (path_ == "f4" ? 0 : path_ == "f2" ? 1 : 2)))
                {
                    records.Add(new($"winoerr_{path_}_{c}_max_rel", err / maxAbs, "ratio"));
                }
            }
            Console.Error.WriteLine(line);
            layer++;
        }

        // The whole network, one image, against ONNX Runtime.
        var bytes = OnnxExporter.ToBytes(module, new OnnxExportOptions(3, 224, 224));
        using var session = new InferenceSession(bytes);
        var image = Tensor.Rand(new Prng(11), [1, 3, 224, 224], -120f, 130f);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(),
            new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(image.ToArray(), new[] { 1, 3, 224, 224 }))]);
        var ort = results.First().AsTensor<float>().ToArray();
        double ortMax = ort.Max(v => Math.Abs((double)v));
        foreach (bool f2 in new[] { false, true })
        {
            // Batch 1 would not pick F(4×4, 3×3) by itself: forced on every 3×3 stride-1 layer.
            WinogradF4.ForceF2 = f2;
            WinogradF4.ForceF4 = !f2;
            float[] ours;
            try
            {
                using (Tensor.NoGrad())
                {
                    ours = module.Forward(image).ToArray();
                }
            }
            finally
            {
                WinogradF4.ForceF2 = false;
                WinogradF4.ForceF4 = false;
            }
            double err = 0;
            for (int i = 0; i < ours.Length; i++)
            {
                err = Math.Max(err, Math.Abs(ours[i] - (double)ort[i]));
            }
            Console.Error.WriteLine(FormattableString.Invariant($"ResNet-18 output ({ours.Length} values, max |ORT| {ortMax:G4}), {(f2 ? "F(2,3)" : "F(4,3) forced")}: max |ours − ORT| {err:E2} ({err / ortMax:E2} of max)"));
            records.Add(new($"winoerr_resnet18_vs_ort_{(f2 ? "f2" : "f4")}", err / ortMax, "ratio"));
        }
        Console.Error.WriteLine(FormattableString.Invariant($"{layer} layers"));
        return records;
    }

    private static double[] Direct(float[] x, float[] w, int c, int side)
    {
        var y = new double[c * side * side];
        Parallel.For(0, c, oc =>
        {
            for (int oh = 0; oh < side; oh++)
            {
                for (int ow = 0; ow < side; ow++)
                {
                    double s = 0;
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            int ih = oh + i - 1;
                            if (ih < 0 || ih >= side)
                            {
                                continue;
                            }
                            for (int j = 0; j < 3; j++)
                            {
                                int iw = ow + j - 1;
                                if (iw >= 0 && iw < side)
                                {
                                    s += (double)x[(((ci * side) + ih) * side) + iw] * w[(((((oc * c) + ci) * 3) + i) * 3) + j];
                                }
                            }
                        }
                    }
                    y[(((oc * side) + oh) * side) + ow] = s;
                }
            }
        });
        return y;
    }
}

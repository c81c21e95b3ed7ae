using System.Diagnostics;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Samplers;
using DeepMetric.Tensors.Optim;
using DeepMetric.Training;

namespace DeepMetric.Benchmarks.Images;

/// <summary>
/// Trains the CNN at 64×64 RGB with augmentation (random resized crop, flip, colour jitter, ImageNet normalisation)
/// from a lazy <see cref="ImageFolderDataset"/> of JPEGs, and reports the share of training wall time the loop spent
/// waiting for data, with the trainer's read-ahead (<c>PrefetchDepth</c> 2, "ahead") and without (0, "sync"), and the
/// process's peak resident memory. Environment: DEEPMETRIC_BENCH_IMAGE_FOLDER (default /tmp/jpeg50k, made by
/// bench/scripts/make_jpeg_folder.py), DEEPMETRIC_BENCH_IMAGE_LIMIT (use only the first N files; default all),
/// DEEPMETRIC_BENCH_IMAGE_STEPS (steps per run, default 40), DEEPMETRIC_BENCH_IMAGE_MODES ("ahead,sync").
/// </summary>
public static class ImageTrainQuick
{
    private const int Batch = 64;

    /// <summary>Runs the measurement.</summary>
    public static IEnumerable<BenchRecord> Run()
    {
        string folder = Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_IMAGE_FOLDER") ?? "/tmp/jpeg50k";
        if (!Directory.Exists(folder))
        {
            Console.Error.WriteLine($"imagetrain: skipped, '{folder}' is missing (make it with bench/scripts/make_jpeg_folder.py).");
            yield break;
        }
        int steps = int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_IMAGE_STEPS"), out int s) ? s : 40;
        var modes = (Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_IMAGE_MODES") ?? "ahead,sync").Split(',');
        var options = new ImageTransformOptions { Width = 64, Height = 64, MinCropScale = 0.35, Jitter = 0.3, Normalize = Normalize.ImageNet };
        IDataset data = ImageFolderDataset.Open(folder, ImageTransform.ForEvaluation(options), ImageTransform.ForTraining(options), new ImageFolderDatasetOptions { Seed = 1 });
        if (int.TryParse(Environment.GetEnvironmentVariable("DEEPMETRIC_BENCH_IMAGE_LIMIT"), out int limit) && limit < data.Count)
        {
            // Spread the kept files over the classes.
            data = data.Subset([.. Enumerable.Range(0, limit).Select(i => (int)((long)i * data.Count / limit))]);
        }
        yield return new BenchRecord("imagetrain/images", data.Count, "files");
        yield return new BenchRecord("imagetrain/all_decoded_64x64_float32", data.Count * 3.0 * 64 * 64 * 4 / 1e6, "MB");
        // Warm-up (JIT, pools), then the modes in turn, twice, so drift on a shared machine hits both alike.
        Train(data, "sync", 4);
        for (int rep = 1; rep <= 2; rep++)
        {
            foreach (string mode in modes)
            {
                var (wall, wait, loss) = Train(data, mode, steps);
                yield return new BenchRecord($"imagetrain/{mode}/{rep}/step", wall / steps * 1000, "ms");
                yield return new BenchRecord($"imagetrain/{mode}/{rep}/data_wait_share", wait / wall * 100, "%");
                yield return new BenchRecord($"imagetrain/{mode}/{rep}/loss", loss, "");
            }
        }
        yield return new BenchRecord("imagetrain/peak_rss", PeakRssMegabytes(), "MB");
    }

    private static (double Wall, double Wait, double Loss) Train(IDataset data, string mode, int steps)
    {
        var model = ModelLoader.Create(ModelLoader.Cnn, 64, 3, 64, 64, seed: 1);
        var trainer = new Trainer(model, new TripletMarginLoss(0.1f), new TripletMarginMiner(0.1f), p => new Adam(p, lr: 1e-3f),
            new MPerClassSampler(data.Labels, 8, Batch, seed: 1))
        {
            IterationsPerEpoch = steps,
            PrefetchDepth = mode == "ahead" ? 2 : 0,
        };
        var clock = Stopwatch.StartNew();
        var result = trainer.Fit(data, 1);
        return (clock.Elapsed.TotalSeconds, result[^1].DataWaitSeconds, result[^1].MeanLoss);
    }

    // VmHWM of /proc/self/status: the peak resident set of this process.
    private static double PeakRssMegabytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return double.NaN;
    }
}

using DeepMetric.Data;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Samplers;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Optim.Schedulers;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;

namespace DeepMetric.Tests.Training;

public sealed class IterationLogTests
{
    private static ImageDataset Data()
    {
        var rng = new Prng(7);
        var pixels = new float[64 * 16];
        var labels = new int[64];
        for (int n = 0; n < labels.Length; n++)
        {
            labels[n] = n % 4;
            for (int t = 0; t < 16; t++)
            {
                pixels[(n * 16) + t] = labels[n] + (float)rng.NextNormal();
            }
        }
        return new ImageDataset(pixels, labels, 1, 4, 4, ["a", "b", "c", "d"]);
    }

    private static Trainer MakeTrainer(ImageDataset data, string dir, IterationLog log) =>
        new(Models.Mlp(embeddingSize: 8, seed: 1, inputSize: 16, hidden: 16), new TripletMarginLoss(margin: 0.2f), new BatchHardMiner(),
            p => new Adam(p, lr: 1e-2f), new MPerClassSampler(data.Labels, m: 4, batchSize: 16, seed: 2))
        {
            IterationsPerEpoch = 3,
            RunDirectory = dir,
            Callbacks = log,
            // Per-iteration schedule: the logged lr must be the one each step used, not the next one.
            SchedulerFactory = o => new LinearWarmupCosine(o, warmupSteps: 3, totalSteps: 9),
            SchedulerInterval = SchedulerInterval.Iteration,
        };

    private sealed class Collect(List<TrainingProgress> list) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.EpochEnd is null)
            {
                list.Add(value);
            }
        }
    }

    [Fact]
    public void LogsEveryStep_AndSurvivesResume()
    {
        var data = Data();
        string full = Directory.CreateTempSubdirectory("dm-itlog-").FullName;
        string part = Directory.CreateTempSubdirectory("dm-itlog-").FullName;
        try
        {
            var reports = new List<TrainingProgress>();
            var fullLog = new IterationLog(Path.Combine(full, RunDirectory.IterationsFile));
            var trainer = MakeTrainer(data, full, fullLog);
            var history = trainer.Fit(data, epochs: 3, progress: new Collect(reports));
            var records = IterationLog.Read(fullLog.Path);

            Assert.Equal(9, records.Count);
            for (int i = 0; i < 9; i++)
            {
                Assert.Equal(i + 1, records[i].Iteration);
                Assert.Equal((i / 3) + 1, records[i].Epoch);
                Assert.Equal(reports[i].Loss, (float)records[i].Loss);
                Assert.Equal(reports[i].MinedTuples, records[i].MinedTuples);
            }
            // The trainer records the lr of each epoch's last step; warm-up from 0 over 3 steps then cosine.
            for (int e = 0; e < 3; e++)
            {
                Assert.Equal(history[e].LearningRate, (float)records[(3 * e) + 2].LearningRate);
            }
            Assert.Equal(0f, (float)records[0].LearningRate);
            Assert.True(records[3].LearningRate > records[1].LearningRate);

            // Two epochs, then a stray line of an unfinished epoch 3 (as if the log had got ahead), then resume.
            var first = MakeTrainer(data, part, new IterationLog(Path.Combine(part, RunDirectory.IterationsFile)));
            first.Fit(data, epochs: 2);
            File.AppendAllText(Path.Combine(part, RunDirectory.IterationsFile), "{\"iteration\":7,\"epoch\":3,\"loss\":9,\"mined_tuples\":1,\"lr\":1}\n");
            var resumed = MakeTrainer(data, part, new IterationLog(Path.Combine(part, RunDirectory.IterationsFile)));
            resumed.Resume(part);
            resumed.Fit(data, epochs: 3);
            Assert.Equal(records, IterationLog.Read(Path.Combine(part, RunDirectory.IterationsFile)));
            Assert.Empty(Directory.GetFiles(part, "*.tmp"));
        }
        finally
        {
            Directory.Delete(full, recursive: true);
            Directory.Delete(part, recursive: true);
        }
    }

    [Fact]
    public void Read_MissingFileIsEmpty_CorruptLineNamesTheLine()
    {
        string dir = Directory.CreateTempSubdirectory("dm-itlog-").FullName;
        try
        {
            string path = Path.Combine(dir, "it.jsonl");
            Assert.Empty(IterationLog.Read(path));
            File.WriteAllText(path, IterationLog.Line(new IterationRecord(1, 1, double.NaN, null, 0.5)) + "\n{\"iteration\":2\n");
            var e = Assert.Throws<InvalidDataException>(() => IterationLog.Read(path));
            Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
            File.WriteAllText(path, IterationLog.Line(new IterationRecord(1, 1, double.NaN, null, 0.5)) + "\n");
            var r = Assert.Single(IterationLog.Read(path));
            Assert.True(double.IsNaN(r.Loss));
            Assert.Null(r.MinedTuples);
            Assert.Equal(0.5, r.LearningRate);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.Throws<ArgumentException>(() => new IterationLog(""));
    }
}

using DeepMetric.Data;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Samplers;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;

namespace DeepMetric.Tests.Data;

public sealed class FeatureDatasetTrainingTests
{
    [Fact]
    public void CsvFeaturesTrainAnMlpThroughToImageDataset()
    {
        // 3 classes × 12 rows of 6 features: class centre + noise, written as CSV and read back.
        var rng = new Prng(8);
        var lines = new List<string> { "label,f0,f1,f2,f3,f4,f5" };
        for (int n = 0; n < 36; n++)
        {
            int c = n % 3;
            var values = Enumerable.Range(0, 6).Select(d => ((d % 3 == c ? 2.0 : 0.0) + (0.5 * rng.NextNormal())).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            lines.Add($"class{c}," + string.Join(',', values));
        }
        using var dir = new TempDir();
        File.WriteAllLines(dir.File("f.csv"), lines);
        var features = CsvFeatureReader.Read(dir.File("f.csv"));
        var data = features;

        var trainer = new Trainer(Models.Mlp(embeddingSize: 4, seed: 1, inputSize: features.Dimension, hidden: 16),
            new TripletMarginLoss(margin: 0.2f, reducer: new MeanReducer()), new BatchHardMiner(),
            p => new Adam(p, lr: 1e-2f), new PkSampler(data.Labels, p: 3, k: 4, seed: 2));
        var results = trainer.Fit(data, epochs: 2);
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(float.IsFinite((float)r.MeanLoss)));
        Assert.Equal(36, trainer.Embed(data).Dim(0));
    }
}

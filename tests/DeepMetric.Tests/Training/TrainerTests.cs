using DeepMetric.Data;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Reducers;
using DeepMetric.Samplers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;

namespace DeepMetric.Tests.Training;

public sealed class TrainerTests
{
    private static Trainer MakeTrainer(ImageDataset data, Miner? miner, int? iterations = null) =>
        new(Models.Mlp(embeddingSize: 8, seed: 1, inputSize: 16, hidden: 32), new TripletMarginLoss(margin: 0.2f, reducer: new MeanReducer()), miner,
            p => new Adam(p, lr: 1e-2f), new MPerClassSampler(data.Labels, m: 8, batchSize: 32, seed: 2))
        { IterationsPerEpoch = iterations };

    [Fact]
    public void FewIterationsLowerTheLossAndImproveRetrieval()
    {
        var train = Fixtures.ClusteredImages(64, 3);
        var test = Fixtures.ClusteredImages(32, 4);
        var trainer = MakeTrainer(train, null);
        var before = trainer.Evaluate(train);
        int[] fixedIndices = [.. Enumerable.Range(0, 64)];
        var fixedImages = train.Batch(fixedIndices);
        var fixedLabels = fixedIndices.Select(i => train.Labels[i]).ToArray();
        float FixedLoss()
        {
            using (Tensor.NoGrad())
            {
                return trainer.Loss.Compute(trainer.Model.Forward(fixedImages), fixedLabels).Item();
            }
        }
        float lossBefore = FixedLoss();
        var reports = new List<TrainingProgress>();
        var results = trainer.Fit(train, epochs: 4, validation: train, progress: new Collect(reports));

        Assert.Equal(4, results.Count);
        Assert.True(results[^1].MeanLoss < results[0].MeanLoss * 0.7, $"{results[0].MeanLoss} → {results[^1].MeanLoss}");
        Assert.True(FixedLoss() < lossBefore * 0.5, $"{lossBefore} → {FixedLoss()}");
        Assert.True(results[^1].Validation!.MapAtR > before.MapAtR, $"{before.MapAtR} → {results[^1].Validation!.MapAtR}");
        Assert.Equal(4 * (8 + 1), reports.Count);   // 256 / 32 = 8 iterations per epoch, plus one epoch-end report each
        Assert.All(reports, r => Assert.True(float.IsFinite(r.Loss) && r.SamplesPerSecond > 0));
        Assert.NotNull(reports[8].EpochEnd);
        Assert.Null(reports[0].EpochEnd);
        Assert.Null(reports[0].MinedTuples);
        Assert.True(trainer.Evaluate(test).PrecisionAt1 > 0.5);
    }

    [Fact]
    public void MinerCountsAndIterationCapAndDeterminism()
    {
        var data = Fixtures.ClusteredImages(32, 5);
        var a = MakeTrainer(data, new BatchHardMiner(), iterations: 2);
        var b = MakeTrainer(data, new BatchHardMiner(), iterations: 2);
        var ra = a.Fit(data, 2);
        var rb = b.Fit(data, 2);
        Assert.All(ra, r => Assert.Equal(2, r.Iterations));
        Assert.Equal(32, ra[0].MeanMinedTuples);   // batch-hard: one triplet per anchor
        Assert.Equal(ra.Select(r => r.MeanLoss), rb.Select(r => r.MeanLoss));
        Assert.Equal(a.Embed(data).ToArray(), b.Embed(data).ToArray());
        Assert.Equal(2 * a.Sampler.BatchesPerEpoch, a.Sampler.Position);   // each capped epoch ends at the sampler's epoch boundary
        Assert.Null(ra[0].Validation);
    }

    [Fact]
    public void OptimizerCoversLossParametersAndBadArguments()
    {
        var data = Fixtures.ClusteredImages(8, 6);
        var trainer = MakeTrainer(data, null);
        Assert.Equal(trainer.Model.Parameters().Count(), trainer.Optimizer.ParamGroups.Sum(g => g.Parameters.Count));
        Assert.Throws<ArgumentOutOfRangeException>("epochs", () => trainer.Fit(data, 0));
        Assert.Throws<ArgumentNullException>("sampler", () => new Trainer(trainer.Model, trainer.Loss, null, null, null!));
        var capped = MakeTrainer(data, null, iterations: 0);
        Assert.Throws<InvalidOperationException>(() => capped.Fit(data, 1));
    }

    [Fact]
    public void EvaluateInitialModelKeepsTheStartUnlessTrainingBeatsIt()
    {
        var train = Fixtures.ClusteredImages(16, 3);
        var validation = Fixtures.ClusteredImages(8, 4);
        // A learning rate so small the weights do not change: no epoch can beat the initial model.
        Trainer Frozen(bool initial) => new(Models.Mlp(embeddingSize: 8, seed: 1, inputSize: 16, hidden: 32), new TripletMarginLoss(margin: 0.2f), null,
            p => new Sgd(p, lr: 1e-30f), new MPerClassSampler(train.Labels, m: 8, batchSize: 32, seed: 2))
        { EvaluateInitialModel = initial, Patience = 2 };
        var frozen = Frozen(true);
        var start = frozen.Evaluate(validation).MapAtR;
        var initialWeights = frozen.Model.StateDict()["embedder.0.weight"].ToArray();
        frozen.Fit(train, 5, validation);
        Assert.Equal(0, frozen.BestEpoch);
        Assert.Equal(start, frozen.BestValue);
        Assert.True(frozen.StoppedEarly);
        Assert.Equal(2, frozen.History.Count);
        Assert.True(frozen.RestoreBestModel());
        Assert.Equal(initialWeights, frozen.Model.StateDict()["embedder.0.weight"].ToArray());

        var plain = Frozen(false);
        plain.Fit(train, 5, validation);
        Assert.Equal(1, plain.BestEpoch);

        // With real training the kept model is a trained epoch when validation improves on the start.
        var learning = MakeTrainer(train, null);
        var learner = new Trainer(learning.Model, learning.Loss, null, p => new Adam(p, lr: 1e-2f), new MPerClassSampler(train.Labels, m: 8, batchSize: 32, seed: 2))
        { EvaluateInitialModel = true };
        double before = learner.Evaluate(validation).MapAtR;
        learner.Fit(train, 3, validation);
        Assert.True(learner.BestEpoch > 0 == learner.BestValue > before);
        Assert.True(learner.BestValue >= before);
    }

    private sealed class Collect(List<TrainingProgress> list) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => list.Add(value);
    }
}

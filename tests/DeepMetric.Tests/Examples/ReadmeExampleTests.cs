using DeepMetric.Data;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tests.Data;

namespace DeepMetric.Tests.Examples;

/// <summary>The C# program shown in README.md, kept compiling and running (on the shipped subset, shortened).</summary>
public sealed class ReadmeExampleTests(ShippedSubsetFixture subset) : IClassFixture<ShippedSubsetFixture>
{
    [Fact]
    public void ReadmeProgram_TrainsAndEvaluates()
    {
        // --- as in README.md, except the data location and the iteration cap ---
        var (train, test) = FashionMnist.Load(subset.Location).OpenSetSplit();   // classes 0–4 → 5–9

        var model = new EmbeddingModel(
            trunk: new Sequential(new Flatten(), new Linear(784, 256), new ReLU(), new Linear(256, 256), new ReLU()),
            embedder: new Sequential(new Linear(256, 64), new L2Normalize()));

        var loss = new TripletMarginLoss(margin: 0.1f);
        var miner = new TripletMarginMiner(margin: 0.2f, TripletKind.SemiHard);
        var trainer = new Trainer(model, loss, miner, p => new Adam(p, lr: 1e-3f),
            new MPerClassSampler(train.Labels, m: 32, batchSize: 128))
        {
            IterationsPerEpoch = 5,
        };
        trainer.Fit(train, epochs: 1);

        Metrics m = RetrievalMetrics.Compute(trainer.Embed(test), test.Labels);
        // --- end of the README program ---

        Assert.Equal(1000, m.QueryCount);
        Assert.InRange(m.PrecisionAt1, 0.5, 1.0);   // chance is 0.2 on five classes
        Assert.Contains("MAP@R", m.ToString(), StringComparison.Ordinal);
    }
}

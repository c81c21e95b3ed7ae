using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Samplers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Tests.Training;

public sealed class RecipesTests
{
    [Fact]
    public void TheIssuesRecipesExistWithUniqueNames()
    {
        string[] required = ["triplet-semihard", "triplet-batchhard", "ms", "contrastive", "npair", "lifted", "center-ce", "fstat", "spce",
            "proxy-anchor", "arcface", "circle", "supcon", "ntxent", "normalized-softmax"];
        foreach (var name in required)
        {
            Assert.NotNull(Recipes.Find(name));
        }
        Assert.Equal(Recipes.All.Count, Recipes.Names.Distinct().Count());
        Assert.Contains(Recipes.DefaultName, Recipes.Names);
    }

    [Fact]
    public void ModelPrefixSelectsTheNetwork()
    {
        var cnn = Recipes.Get("cnn-ms");
        Assert.Equal(ModelKind.Cnn, cnn.Model);
        Assert.Equal("cnn-ms", cnn.Name);
        Assert.Equal("ms", cnn.LossName);
        Assert.Equal(ModelKind.Mlp, Recipes.Get("MLP-Triplet-Semihard").Model);
        Assert.Null(Recipes.Find("cnn-nope"));
        Assert.Null(Recipes.Find("mlp-"));
        var e = Assert.Throws<ArgumentException>(() => Recipes.Get("nope"));
        Assert.Contains("triplet-semihard", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => Recipes.Find(null!));
    }

    [Fact]
    public void BenchRecipesMatchTheIssue()
    {
        var semihard = Recipes.Get("mlp-triplet-semihard");
        Assert.IsType<TripletMarginLoss>(semihard.CreateLoss(new RecipeContext(5, 64, 0)));
        var miner = Assert.IsType<TripletMarginMiner>(semihard.CreateMiner(new RecipeContext(5, 64, 0)));
        Assert.Equal(TripletKind.SemiHard, miner.Kind);
        Assert.IsType<BatchHardMiner>(Recipes.Get("cnn-triplet-batchhard").CreateMiner(new RecipeContext(5, 64, 0)));
        Assert.IsType<MultiSimilarityMiner>(Recipes.Get("mlp-ms").CreateMiner(new RecipeContext(5, 64, 0)));
        foreach (var r in Recipes.All.Where(r => r.Name != "pixel-ms"))
        {
            Assert.Equal(128, r.BatchSize);
            Assert.Equal(1e-3f, r.LearningRate);
            Assert.Equal(64, r.EmbeddingSize);
        }
    }

    [Fact]
    public void PixelRecipeIsTheUnseenClassSetting()
    {
        var r = Recipes.Get("pixel-ms");
        Assert.Equal((ModelKind.PixelResidual, 96, 32, 1e-5f, 256), (r.Model, r.BatchSize, r.MPerClass, r.LearningRate, r.EmbeddingSize));
        Assert.IsType<MultiSimilarityLoss>(r.CreateLoss(new RecipeContext(5, 256, 0)));
        Assert.Equal([256], r.CreateModel().Forward(DeepMetric.Tensors.Tensor.Zeros(1, 1, 28, 28)).Shape[1..]);
    }

    [Fact]
    public void EveryRecipeTrainsOneFiniteStep()
    {
        // 4 classes × 8 random 28×28 images: every recipe builds its pieces and takes one step with a finite loss.
        var rng = new Prng(3);
        var labels = new int[32];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 4;
        }
        var x = Tensor.Rand(rng, [32, 1, 28, 28]);
        foreach (var recipe in Recipes.All)
        {
            var context = new RecipeContext(NumClasses: 4, EmbeddingSize: 16, Seed: 1);
            var model = recipe.CreateModel(seed: 1, embeddingSize: 16);
            var trainer = new Trainer(model, recipe.CreateLoss(context), recipe.CreateMiner(context), recipe.CreateOptimizer,
                new MPerClassSampler(labels, 8, 32));
            var (loss, _) = trainer.Step(x, labels);
            Assert.True(float.IsFinite(loss), $"{recipe.Name}: loss {loss}");
        }
    }

    [Fact]
    public void SamplerFollowsTheRecipe()
    {
        var labels = new int[400];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % 5;
        }
        var sampler = Assert.IsType<MPerClassSampler>(Recipes.Get("ms").CreateSampler(labels, seed: 2));
        Assert.Equal(128, sampler.BatchSize);
        Assert.Equal(32, sampler.M);
        Assert.Equal(4, sampler.ClassesPerBatch);
    }
}

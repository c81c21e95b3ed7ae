using System.Text.Json;
using DeepMetric.Runs;
using DeepMetric.Training;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Tests.Training;

public sealed class RunConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-runconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RoundTripsWithSnakeCaseKeysAndKeepsUnknownOnes()
    {
        string path = Path.Combine(_dir, RunDirectory.ConfigFile);
        // Written by hand (the format older runs and ModelLoader read): snake_case keys, one unknown key.
        File.WriteAllText(path, """
            {"data":"fashion-mnist","data_dir":"/d","split":"open-set","input_channels":1,"input_height":28,"input_width":28,
             "model":"mlp","loss":"triplet","miner":"semihard","margin":0.2,"epochs":3,"iterations_per_epoch":100,"batch_size":128,
             "m_per_class":32,"embedding_size":64,"optimizer":"adam","weight_decay":0,"augment":false,"validation_holdout":"samples",
             "lr":0.001,"scheduler":"none","clip_grad_norm":0,"validation_fraction":0,"eval_every":1,"patience":0,
             "evaluate_initial":false,"seed":5,"protocol":"glyphs"}
            """);
        var config = RunConfig.Load(path);
        Assert.Equal(32, config.MPerClass);
        Assert.Equal(0.2f, config.Margin);
        Assert.Null(config.MinerMargin);
        Assert.Equal(5UL, config.Seed);
        Assert.Equal(28, config.InputHeight);
        config.Save(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("glyphs", doc.RootElement.GetProperty("protocol").GetString());
        Assert.Equal(32, doc.RootElement.GetProperty("m_per_class").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("miner_margin", out _));
        Assert.Equal(config, RunConfig.Load(path) with { Extra = config.Extra, Segments = config.Segments });
    }

    [Fact]
    public void ChangesListEverySettingThatDiffersButNotTheEpochs()
    {
        var a = new RunConfig { Model = "mlp", Lr = 1e-3f, Seed = 1, Epochs = 3, Augment = false };
        Assert.Empty((a with { Epochs = 9 }).ChangesFrom(a));
        var changes = (a with { Lr = 2e-3f, Augment = true, Model = "cnn" }).ChangesFrom(a);
        Assert.Equal(["model: mlp → cnn", "augment: false → true", "lr: 0.00100000005 → 0.00200000009"], changes);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"epochs\":\"three\"}")]
    public void ACorruptConfigIsAnInvalidDataExceptionNamingTheFile(string text)
    {
        string path = Path.Combine(_dir, RunDirectory.ConfigFile);
        File.WriteAllText(path, text);
        var e = Assert.Throws<InvalidDataException>(() => RunConfig.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLockExcludesASecondWriterAndClearKeepsIt()
    {
        using (var first = RunDirectoryLock.Acquire(_dir))
        {
            var e = Assert.Throws<IOException>(() => RunDirectoryLock.Acquire(_dir));
            Assert.Contains("in use", e.Message, StringComparison.Ordinal);
            Assert.True(RunDirectory.IsEmpty(_dir));
            File.WriteAllText(Path.Combine(_dir, "notes.txt"), "x");
            Assert.False(RunDirectory.IsEmpty(_dir));
            Assert.Throws<InvalidOperationException>(() => RunDirectory.Clear(_dir));
            File.WriteAllText(Path.Combine(_dir, RunDirectory.ConfigFile), "{}");
            Assert.Equal(2, RunDirectory.Clear(_dir));
            Assert.True(RunDirectory.IsEmpty(_dir));
            Assert.True(File.Exists(Path.Combine(_dir, RunDirectory.LockFile)));
        }
        using var again = RunDirectoryLock.Acquire(_dir);
    }

    [Fact]
    public void RecipesBuildWhatTheRegistryBuildsForTheSameNames()
    {
        foreach (var recipe in Recipes.All)
        {
            var context = new RecipeContext(5, 16, 3);
            var settings = new LossSettings(null, null, 3, 5, 16);
            Assert.Equal(LossRegistry.CreateLoss(recipe.LossName, settings).GetType(), recipe.CreateLoss(context).GetType());
            Assert.Equal(LossRegistry.CreateMiner(recipe.MinerName, settings)?.GetType(), recipe.CreateMiner(context)?.GetType());
        }
        Assert.Throws<ArgumentException>(() => LossRegistry.CreateLoss("nope", new LossSettings(null, null, 0, 2, 4)));
    }
}

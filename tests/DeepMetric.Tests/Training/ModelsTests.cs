using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using DeepMetric.Training.Recipes;

namespace DeepMetric.Tests.Training;

public sealed class ModelsTests
{
    [Fact]
    public void ResNetHasThreeStagesOfResidualBlocksAndUnitEmbeddings()
    {
        var model = Models.ResNet(embeddingSize: 8, seed: 3, baseChannels: 4);
        var trunk = (Sequential)model.Trunk;
        var blocks = trunk.OfType<Residual>().ToArray();
        Assert.Equal(6, blocks.Length);
        // Projections only where the shape changes: the first block of stages 2 and 3.
        Assert.Equal([false, false, true, false, true, false], blocks.Select(b => b.Shortcut is not null));
        Assert.IsType<GlobalAvgPool2d>(trunk[trunk.Count - 1]);
        Assert.Equal([8, 16], ((Linear)((Sequential)model.Embedder)[0]).Weight.Shape);

        var x = Tensor.Rand(new Prng(4), [3, 1, 28, 28], 0f, 1f);
        var e = model.Forward(x).ToArray();
        Assert.Equal(24, e.Length);
        for (int i = 0; i < 3; i++)
        {
            double norm = 0;
            for (int j = 0; j < 8; j++)
            {
                norm += (double)e[(i * 8) + j] * e[(i * 8) + j];
            }
            Assert.Equal(1.0, Math.Sqrt(norm), 4);
        }
        // Same seed, same weights.
        Assert.Equal(model.StateDict()["embedder.0.weight"].ToArray(), Models.ResNet(8, seed: 3, baseChannels: 4).StateDict()["embedder.0.weight"].ToArray());
        Assert.Equal(2, Models.ResNet(4, normalize: false, baseChannels: 2, blocksPerStage: 1).Forward(Tensor.Zeros(2, 1, 8, 8)).Dim(0));
    }

    [Fact]
    public void ResNetRejectsBadSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ResNet(embeddingSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ResNet(baseChannels: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ResNet(blocksPerStage: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ResNet(height: 3));
    }

    [Fact]
    public void ResNetWeightsLoadBackByShape()
    {
        var dir = Directory.CreateTempSubdirectory("deepmetric-resnet-").FullName;
        try
        {
            var model = Models.ResNet(embeddingSize: 8, seed: 2);
            var path = Path.Combine(dir, ModelLoader.WeightsFileName);
            model.Save(path);
            var loaded = ModelLoader.Load(path);
            Assert.Equal((ModelLoader.ResNet, 8), (loaded.Kind, loaded.EmbeddingSize));
            Assert.Equal(model.StateDict()["embedder.0.weight"].ToArray(), loaded.Model.StateDict()["embedder.0.weight"].ToArray());
            Assert.Equal(ModelKind.ResNet, Recipes.Get("resnet-ms").Model);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void PixelResidualStartsAsTheProjectionOfNormalisedPixels()
    {
        var model = Models.PixelResidual(embeddingSize: 6, seed: 2, inputSize: 12, hidden: 5);
        Assert.Empty(model.Embedder.Parameters());
        var state = model.StateDict();
        var r = state["trunk.shortcut.2.matrix"].ToArray();
        Assert.All(state["trunk.body.5.weight"].ToArray(), v => Assert.Equal(0f, v));
        var x = Tensor.Rand(new Prng(3), [2, 1, 3, 4], 0f, 1f);
        var e = model.Forward(x).ToArray();
        var xs = x.ToArray();
        for (int i = 0; i < 2; i++)
        {
            double norm = 0;
            for (int k = 0; k < 12; k++)
            {
                norm += (double)xs[(i * 12) + k] * xs[(i * 12) + k];
            }
            var p = new double[6];
            double pNorm = 0;
            for (int o = 0; o < 6; o++)
            {
                for (int k = 0; k < 12; k++)
                {
                    p[o] += xs[(i * 12) + k] / Math.Sqrt(norm) * r[(k * 6) + o];
                }
                pNorm += p[o] * p[o];
            }
            for (int o = 0; o < 6; o++)
            {
                Assert.Equal(p[o] / Math.Sqrt(pNorm), e[(i * 6) + o], 5);
            }
        }
        // The projection is a buffer: only the learned branch has parameters.
        Assert.All(model.NamedParameters(), kv => Assert.StartsWith("trunk.body.", kv.Key, StringComparison.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.PixelResidual(embeddingSize: 0));
    }

    [Fact]
    public void PixelResidualWeightsLoadBackByShape()
    {
        var dir = Directory.CreateTempSubdirectory("deepmetric-pixres-").FullName;
        try
        {
            var model = Models.PixelResidual(embeddingSize: 16, seed: 4);
            var path = Path.Combine(dir, ModelLoader.WeightsFileName);
            model.Save(path);
            var loaded = ModelLoader.Load(path);
            Assert.Equal((ModelLoader.PixelResidual, 16), (loaded.Kind, loaded.EmbeddingSize));
            Assert.Equal(model.StateDict()["trunk.shortcut.2.matrix"].ToArray(), loaded.Model.StateDict()["trunk.shortcut.2.matrix"].ToArray());
            Assert.Equal(ModelKind.PixelResidual, Recipes.Get("pixel-residual-ms").Model);
            Assert.Equal("pixel-residual-ms", Recipes.Get("pixel-residual-ms").Name);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

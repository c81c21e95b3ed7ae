using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Training;

public sealed class ModelsTests
{
    [Fact]
    public void ResNetHasThreeStagesOfResidualBlocksAndUnitEmbeddings()
    {
        var model = Models.ResNet(embeddingSize: 8, seed: 3, width: 4);
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
        Assert.Equal(model.StateDict()["embedder.0.weight"].ToArray(), Models.ResNet(8, seed: 3, width: 4).StateDict()["embedder.0.weight"].ToArray());
        Assert.Equal(2, Models.ResNet(4, normalize: false, width: 2, blocksPerStage: 1).Forward(Tensor.Zeros(2, 1, 8, 8)).Dim(0));
    }

    [Fact]
    public void ResNetRejectsBadSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ResNet(embeddingSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Models.ResNet(width: 0));
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
}

using DeepMetric.Data;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Training;

namespace DeepMetric.Tests.Training;

public sealed class EmbeddingModelTests
{
    private static ImageDataset Images(int n)
    {
        var rng = new Prng(1);
        var pixels = new float[n * 784];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = rng.NextFloat();
        }
        var labels = new int[n];
        return new ImageDataset(pixels, labels, 1, 28, 28, ["x"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmbedMatchesForwardInBatchesAndRestoresMode(bool cnn)
    {
        var model = cnn ? Models.Cnn(embeddingSize: 16, seed: 3) : Models.Mlp(embeddingSize: 16, seed: 3);
        var data = Images(7);
        var e = model.Embed(data, batchSize: 3);
        Assert.Equal([7, 16], e.Shape);
        Assert.False(e.RequiresGrad);
        Assert.True(model.IsTraining);
        var x = data.Batch([0, 1, 2, 3, 4, 5, 6]);
        var direct = model.Forward(x).ToArray();
        var batched = e.ToArray();
        for (int i = 0; i < direct.Length; i++)
        {
            Assert.Equal(direct[i], batched[i], 1e-5f);
        }
        // L2-normalised rows.
        for (int r = 0; r < 7; r++)
        {
            double s = 0;
            for (int c = 0; c < 16; c++)
            {
                s += batched[(r * 16) + c] * (double)batched[(r * 16) + c];
            }
            Assert.Equal(1.0, s, 1e-5);
        }
        var fromTensor = model.Embed(x, batchSize: 4).ToArray();   // other batch sizes: GEMM blocking may differ in the last bit
        for (int i = 0; i < batched.Length; i++)
        {
            Assert.Equal(batched[i], fromTensor[i], 1e-5f);
        }
    }

    [Fact]
    public void NamesSizesAndSeeds()
    {
        var mlp = Models.Mlp(embeddingSize: 64, normalize: false);
        Assert.Equal((784 * 256) + 256 + (256 * 256) + 256 + (256 * 64) + 64, mlp.ParameterCount);
        Assert.Contains(mlp.NamedParameters(), p => p.Key == "trunk.1.weight");
        Assert.Contains(mlp.NamedParameters(), p => p.Key == "embedder.0.weight");
        var cnn = Models.Cnn();
        Assert.Equal((32 * 9) + 32 + (64 * 32 * 9) + 64 + (64 * 49 * 128) + 128 + (128 * 64) + 64, cnn.ParameterCount);
        Assert.Equal(Models.Mlp(seed: 5).Parameters().First().ToArray(), Models.Mlp(seed: 5).Parameters().First().ToArray());
        Assert.NotEqual(Models.Mlp(seed: 5).Parameters().First().ToArray(), Models.Mlp(seed: 6).Parameters().First().ToArray());
    }

    [Fact]
    public void EmptyInputAndBadArguments()
    {
        var model = Models.Mlp(embeddingSize: 8);
        Assert.Equal([0, 8], model.Embed(Tensor.Zeros(0, 1, 28, 28)).Shape);
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => model.Embed(Tensor.Zeros(1, 784), 0));
        Assert.Throws<ArgumentOutOfRangeException>("embeddingSize", () => Models.Cnn(embeddingSize: 0));
        Assert.Throws<ArgumentNullException>("trunk", () => new EmbeddingModel(null!, model.Embedder));
    }
}

using System.Text.Json;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

public sealed class RecipesAndEvalCommandTests
{
    private static void AssertOneLineError(int code, string err, int expectedCode, string expected)
    {
        Assert.Equal(expectedCode, code);
        TestUtil.CliRunner.AssertOneLineError(err, expected);
    }

    [Fact]
    public void RecipesListsEveryRecipe()
    {
        var (code, output, err) = Run("recipes");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        foreach (var name in new[] { "triplet-semihard", "triplet-batchhard", "ms", "contrastive", "npair", "lifted", "center-ce", "fstat", "spce",
                     "proxy-anchor", "arcface", "circle", "supcon", "ntxent", "normalized-softmax" })
        {
            Assert.Contains($"│ {name} ", output, StringComparison.Ordinal);
        }
        Assert.Contains("Wang et al. 2019", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RecipeSetsTheDefaultsAndExplicitOptionsWin()
    {
        var (code, output, err) = Run("train", "--data-dir", Subset, "--recipe", "ms", "--epochs", "1", "--iterations-per-epoch", "1");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("loss ms, miner ms, batch 128 (4 classes × 32)", output, StringComparison.Ordinal);

        (code, output, err) = Run("train", "--data-dir", Subset, "--recipe", "ms", "--miner", "none", "--batch-size", "64", "--m-per-class", "16",
            "--epochs", "1", "--iterations-per-epoch", "1");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("loss ms, miner none, batch 64 (4 classes × 16)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownRecipeIsAUsageError()
    {
        var (code, output, err) = Run("train", "--data-dir", Subset, "--recipe", "nope");
        Assert.Equal("", output);
        AssertOneLineError(code, err, 2, "Unknown recipe 'nope'");
    }

    [Fact]
    public void EvalReadsTheRunDirectoryWeights()
    {
        var dir = Directory.CreateTempSubdirectory("deepmetric-eval-").FullName;
        try
        {
            var (code, _, err) = Run("train", "--data-dir", Subset, "--epochs", "1", "--iterations-per-epoch", "2", "--embedding-size", "16",
                "--quiet", "--run-dir", dir);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            var weights = Path.Combine(dir, "model.safetensors");

            (code, var output, err) = Run("eval", "--data-dir", Subset, "--weights", weights);
            Assert.Equal("", err);
            Assert.Equal(0, code);
            Assert.Contains("mlp, embedding 16", output, StringComparison.Ordinal);
            foreach (var metric in new[] { "P@1", "R@1", "R@2", "R@4", "R@8", "R-Precision", "MAP@R", "MAP", "MRR", "NMI", "AMI" })
            {
                Assert.Contains($"│ {metric} ", output, StringComparison.Ordinal);
            }
            Assert.Contains("raw pixels", output, StringComparison.Ordinal);

            (code, output, err) = Run("eval", "--data-dir", Subset, "--weights", weights, "--split", "seen", "--json");
            Assert.Equal("", err);
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(output.Trim());
            var root = doc.RootElement;
            Assert.Equal("seen", root.GetProperty("split").GetString());
            Assert.Equal(16, root.GetProperty("embedding_size").GetInt32());
            foreach (var key in new[] { "precision_at_1", "map_at_r", "mrr", "ami", "untrained_map_at_r", "raw_pixels_map_at_r", "raw_pixels_nmi" })
            {
                Assert.InRange(root.GetProperty(key).GetDouble(), 0.0, 1.0);
            }
            // Raw pixels are a real baseline on Fashion-MNIST: far above chance (0.2).
            Assert.True(root.GetProperty("raw_pixels_precision_at_1").GetDouble() > 0.5);
            Assert.False(root.TryGetProperty("modularity", out _));

            // Disentanglement (factors: class and garment group) is reported only when asked for.
            (code, output, err) = Run("eval", "--data-dir", Subset, "--weights", weights, "--disentanglement", "--json");
            Assert.Equal("", err);
            using (var d = JsonDocument.Parse(output.Trim()))
            {
                foreach (var key in new[] { "modularity", "explicitness", "untrained_modularity", "raw_pixels_explicitness" })
                {
                    Assert.InRange(d.RootElement.GetProperty(key).GetDouble(), 0.0, 1.0);
                }
                // A linear classifier separates Fashion-MNIST classes well from raw pixels: AUC far above 0.5.
                Assert.True(d.RootElement.GetProperty("raw_pixels_explicitness").GetDouble() > 0.8);
            }

            (code, _, err) = Run("eval", "--data-dir", Subset, "--weights", weights, "--embedding-size", "32");
            AssertOneLineError(code, err, 1, "do not fit a mlp with embedding size 32");
            (code, _, err) = Run("eval", "--data-dir", Subset, "--weights", weights, "--model", "cnn");
            AssertOneLineError(code, err, 1, "do not fit a cnn");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EvalErrors()
    {
        var (code, _, err) = Run("eval", "--data-dir", Subset, "--weights", "/nonexistent/model.safetensors");
        AssertOneLineError(code, err, 1, "'/nonexistent/model.safetensors' not found");
        (code, _, err) = Run("eval", "--data-dir", Subset);
        AssertOneLineError(code, err, 2, "--weights");
        (code, _, err) = Run("eval", "--data-dir", Subset, "--weights", "x", "--split", "all");
        AssertOneLineError(code, err, 2, "'all'");

        var bad = Path.GetTempFileName();
        try
        {
            File.WriteAllText(bad, "not safetensors");
            (code, _, err) = Run("eval", "--data-dir", Subset, "--weights", bad);
            AssertOneLineError(code, err, 1, bad);
        }
        finally
        {
            File.Delete(bad);
        }
    }
}

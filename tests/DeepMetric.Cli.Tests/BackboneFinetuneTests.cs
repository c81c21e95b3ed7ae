using DeepMetric.Cli.Commands;
using DeepMetric.Onnx.Backbones;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;
using DeepMetric.Training;
using DeepMetric.Cli.Tests.TestUtil;
using static DeepMetric.Cli.Tests.TestUtil.CliRunner;

namespace DeepMetric.Cli.Tests;

/// <summary>
/// <c>train --backbone --finetune N</c>: which parameters a step changes (and by how much: Adam's first step moves every
/// element with a gradient by its group's learning rate), <c>--augment</c> with a frozen backbone, and bad input.
/// </summary>
public sealed class BackboneFinetuneTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-cli-finetune-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static Dictionary<string, float[]> Snapshot(Tensors.Nn.Module m) =>
        m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);

    // One Adam step on the model's embeddings of random images, with the optimizer the train command builds.
    private static (Dictionary<string, float[]> Before, Dictionary<string, float[]> After, Dictionary<string, float[]> Grads, Backbone Backbone) Step(int blocks, float lr, float backboneLr)
    {
        var backbone = Backbone.Open("resnet18-imagenet", 64);
        var finetuned = backbone.Unfreeze(blocks);
        var model = backbone.WithHead(Backbone.Head(backbone.FeatureDimension, 8, default, 1));
        var optimizer = BackboneOptions.FinetuneOptimizer([.. model.Parameters()], finetuned, backboneLr, lr, weightDecay: 0f);
        var before = Snapshot(model);
        var x = Tensor.Rand(new Prng(5), [2, 1, 28, 28], 0f, 1f);
        var r = Tensor.Rand(new Prng(6), [2, 8], -1f, 1f);
        model.Train();
        Ops.Sum(model.Forward(x) * r).Backward();
        var grads = model.NamedParameters().Where(kv => kv.Value.Grad is not null).ToDictionary(kv => kv.Key, kv => kv.Value.Grad!.ToArray(), StringComparer.Ordinal);
        optimizer.Step();
        return (before, Snapshot(model), grads, backbone);
    }

    [Fact]
    public void Resnet18_has_nine_blocks_and_finetuning_three_changes_exactly_the_512_channel_stage_by_its_learning_rate()
    {
        const float lr = 1e-3f, backboneLr = 1e-5f;
        var (before, after, grads, backbone) = Step(3, lr, backboneLr);
        Assert.Equal(9, backbone.BlockCount);
        var graphNames = backbone.Graph.NamedParameters().Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var bufferNames = backbone.Graph.NamedBuffers().Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(bufferNames);
        int changedBackbone = 0;
        foreach (var (name, old) in before)
        {
            var now = after[name];
            string local = name[(name.LastIndexOf('.') + 1)..];
            bool isHead = name.StartsWith("embedder.", StringComparison.Ordinal);
            bool inBackbone = !isHead && graphNames.Contains(local);
            // The last three residual units of this ResNet-18 (a CNTK export with 2, 2, 2, 3 units per stage) are its fourth stage, the only one with 512 output channels:
            // an oracle from the architecture, not from the block grouping under test.
            bool stage4 = inBackbone && backbone.Graph.StateDict()[local].Shape[0] == 512;
            if (!isHead && (bufferNames.Contains(local) || !stage4))
            {
                Assert.True(old.AsSpan().SequenceEqual(now), $"{name} changed but should be frozen");
                continue;
            }
            // Adam's first step: lr · g / (|g| + ε) with ε = 1e-8, i.e. the group's learning rate unless g is tiny.
            float groupLr = isHead ? lr : backboneLr;
            var g = grads[name];
            int moved = 0;
            for (int i = 0; i < old.Length; i++)
            {
                double expected = groupLr * Math.Abs(g[i]) / (Math.Abs(g[i]) + 1e-8);
                double d = Math.Abs(now[i] - (double)old[i]);
                double ulp = MathF.BitIncrement(Math.Max(Math.Abs(old[i]), Math.Abs(now[i]))) - Math.Max(Math.Abs(old[i]), Math.Abs(now[i]));
                moved += d != 0 ? 1 : 0;
                Assert.True(Math.Abs(d - expected) <= (0.01 * expected) + ulp, $"{name}[{i}] moved by {d}, expected {expected} (gradient {g[i]})");
            }
            Assert.True(moved > 0, $"{name}: no element moved");
            changedBackbone += isHead ? 0 : 1;
        }
        Assert.True(changedBackbone >= 10, $"only {changedBackbone} stage-4 tensors changed");
    }

    [Fact]
    public void A_step_with_a_frozen_backbone_leaves_its_weights_and_batch_norm_statistics_bit_identical()
    {
        var (before, after, _, _) = Step(0, 1e-3f, 1e-4f);
        int headChanged = 0;
        foreach (var (name, old) in before)
        {
            if (name.StartsWith("embedder.", StringComparison.Ordinal))
            {
                headChanged += old.AsSpan().SequenceEqual(after[name]) ? 0 : 1;
            }
            else
            {
                Assert.True(old.AsSpan().SequenceEqual(after[name]), $"{name} changed");
            }
        }
        Assert.Equal(2, headChanged);   // the head's weight and bias
    }

    [Fact]
    public void Unfreezing_more_blocks_than_the_graph_has_is_refused()
    {
        var backbone = Backbone.Open("resnet18-imagenet", 64);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => backbone.Unfreeze(10));
        Assert.Contains("9 blocks", e.Message, StringComparison.Ordinal);
        Assert.Equal(backbone.Graph.Parameters().Count(), backbone.Unfreeze(9).Count);
    }

    private string WriteImages() => BarImageFolder.Write(P("images"));

    private string[] Tiny(string root) => ["train", "--data", "image-folder", "--data-dir", root, "--color", "gray", "--image-size", "28",
        "--backbone", "resnet18-imagenet", "--backbone-input-size", "64", "--validation-fraction", "0", "--epochs", "1",
        "--iterations-per-epoch", "2", "--batch-size", "4", "--m-per-class", "2", "--embedding-size", "16", "--no-report",
        // Every triplet violates a margin of 2 between unit vectors, so each step has a gradient.
        "--miner", "all", "--miner-margin", "2", "--margin", "2"];

    [Fact]
    public void Finetuning_one_block_saves_a_model_whose_backbone_changed_and_that_reloads()
    {
        string root = WriteImages(), run = P("ft-run");
        var (code, output, err) = Run([.. Tiny(root), "--finetune", "1", "--backbone-lr", "1e-4", "--run-dir", run]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("last 1 backbone block(s) fine-tuned at lr 0.0001", output, StringComparison.Ordinal);
        var loaded = ModelLoader.Load(Path.Combine(run, "model.safetensors"));
        var fresh = Backbone.Open("resnet18-imagenet", 64).Graph.StateDict();
        var saved = loaded.Model.StateDict();
        int changed = fresh.Count(kv => !kv.Value.ReadOnlySpan.SequenceEqual(saved.First(s => s.Key.EndsWith("." + kv.Key, StringComparison.Ordinal)).Value.ReadOnlySpan));
        Assert.InRange(changed, 1, 12);   // some of the last unit's convolutions and batch-norm scales, nothing before
    }

    [Fact]
    public void Augmenting_with_a_frozen_backbone_trains_on_precomputed_views()
    {
        string root = WriteImages();
        var (code, output, err) = Run([.. Tiny(root), "--augment", "--backbone-views", "2"]);
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("2 augmented views of each", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--finetune", "10", "9 blocks")]
    [InlineData("--finetune", "-1", "--finetune")]
    [InlineData("--backbone-lr", "1e-4", "--finetune")]
    [InlineData("--backbone-features", "stages=5", "--backbone-features")]
    [InlineData("--backbone-views", "0", "--backbone-views")]
    [InlineData("--backbone-views", "2", "--augment")]
    public void Bad_finetune_options_fail_in_one_line_with_exit_code_2_and_write_nothing(string option, string value, string expected)
    {
        string root = WriteImages(), run = P("bad-run");
        var (code, _, err) = Run([.. Tiny(root), option, value, "--run-dir", run]);
        Assert.Equal(2, code);
        AssertOneLineError(err, expected);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void Finetune_with_freeze_backbone_is_refused()
    {
        string root = WriteImages();
        var (code, _, err) = Run([.. Tiny(root), "--finetune", "1", "--freeze-backbone"]);
        Assert.Equal(2, code);
        AssertOneLineError(err, "--finetune", "--freeze-backbone");
    }

    [Fact]
    public void A_truncated_onnx_backbone_fails_in_one_line_naming_the_file_and_writes_nothing()
    {
        string source = Backbone.Open("resnet18-imagenet", 64).Graph is { } g && BuiltInBackbones.Locate(BuiltInBackbones.Find("resnet18-imagenet")!) is { } path
            ? path
            : throw new InvalidOperationException("ResNet18.onnx is not installed.");
        _ = g;
        var bytes = File.ReadAllBytes(source);
        File.WriteAllBytes(P("cut.onnx"), bytes[..(bytes.Length / 3)]);
        string root = WriteImages(), run = P("cut-run");
        var (code, _, err) = Run("train", "--data", "image-folder", "--data-dir", root, "--backbone", P("cut.onnx"), "--run-dir", run);
        Assert.InRange(code, 1, 2);
        AssertOneLineError(err, "--backbone", "cut.onnx");
        Assert.False(Directory.Exists(run));
    }
}

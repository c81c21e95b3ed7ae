using System.CommandLine;
using System.Globalization;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Onnx;
using DeepMetric.Onnx.Backbones;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Training;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>train --backbone</c>: a pretrained ONNX backbone with an embedding head. By default the backbone stays frozen, its
/// features are computed once per image (and per augmented view) and the head trains on them at MLP speed;
/// <c>--finetune N</c> trains its last N blocks with the head, at their own learning rate.
/// </summary>
internal sealed class BackboneOptions
{
    internal Option<string?> Backbone { get; } = new("--backbone")
    {
        Description = "Pretrained backbone under an embedding head (Linear → L2Normalize): a name from 'deepmetric backbones' (resnet18-imagenet) or an .onnx file; frozen (its features computed once per image) unless --finetune",
        HelpName = "name|file.onnx",
    };

    internal Option<int?> InputSize { get; } = new("--backbone-input-size")
    {
        Description = "Side the images are resized to for the backbone (resnet18-imagenet: a multiple of 32, at least 64; default 128)",
        HelpName = "pixels",
    };

    internal Option<bool> Freeze { get; } = new("--freeze-backbone")
    {
        Description = "Keep the backbone frozen and train the head on cached features (the default with --backbone; --finetune N trains its last N blocks instead)",
    };

    internal Option<string?> Features { get; } = new("--backbone-features")
    {
        Description = "How features are read from the backbone: stages=1|2 (the last stage, or the last two pooled, L2-normalised and concatenated), pool=avg|gem (GeM, p = 3), flip (average with the mirrored image); default " + DefaultFeatures,
        HelpName = "spec",
    };

    internal Option<int> Finetune { get; } = new("--finetune")
    {
        Description = "Fine-tune the last N blocks of the backbone (residual units: 9 in resnet18-imagenet, whose last 3 form the 512-channel stage) with the head, on images instead of cached features; its batch-norm statistics stay frozen",
        HelpName = "N",
    };

    internal Option<float?> BackboneLr { get; } = new("--backbone-lr")
    {
        Description = "Learning rate of the fine-tuned backbone blocks (an optimizer parameter group of their own; default --lr / 10)",
        HelpName = "x",
    };

    internal Option<int> Views { get; } = new("--backbone-views")
    {
        Description = "With --augment and a frozen backbone: augmented views per training image whose features are precomputed (training draws one per item and step)",
        DefaultValueFactory = _ => 4,
        HelpName = "n",
    };

    /// <summary>The features <c>train --backbone</c> reads unless told (chosen on held-out training classes; docs/onnx.md).</summary>
    internal const string DefaultFeatures = "stages=2,pool=gem";

    internal void AddTo(Command command)
    {
        command.Add(Backbone);
        command.Add(InputSize);
        command.Add(Freeze);
        command.Add(Features);
        command.Add(Finetune);
        command.Add(BackboneLr);
        command.Add(Views);
    }

    /// <summary>
    /// Blocks to fine-tune (0: frozen) and their learning rate, checked against <paramref name="backbone"/>.
    /// </summary>
    internal (int Blocks, float Lr) FinetuneSettings(ParseResult parseResult, Backbone? backbone, float headLr, bool augment)
    {
        int blocks = parseResult.GetValue(Finetune);
        float? lr = parseResult.GetValue(BackboneLr);
        int views = parseResult.GetValue(Views);
        if (backbone is null)
        {
            if (blocks != 0 || lr is not null || parseResult.GetResult(Views) is { Implicit: false })
            {
                throw new UsageException("--finetune, --backbone-lr and --backbone-views need --backbone.");
            }
            return (0, 0f);
        }
        if (views <= 0)
        {
            throw new UsageException($"--backbone-views must be positive; got {views}.");
        }
        if (!augment && parseResult.GetResult(Views) is { Implicit: false })
        {
            throw new UsageException("--backbone-views sets the augmented views per image; give --augment too.");
        }
        if (blocks < 0)
        {
            throw new UsageException($"--finetune must be zero or positive; got {blocks}.");
        }
        if (blocks > 0 && parseResult.GetValue(Freeze))
        {
            throw new UsageException("--finetune trains backbone blocks; it cannot be combined with --freeze-backbone.");
        }
        if (blocks == 0 && lr is not null)
        {
            throw new UsageException("--backbone-lr sets the learning rate of fine-tuned blocks; give --finetune N too.");
        }
        if (lr is float x && !(x > 0 && float.IsFinite(x)))
        {
            throw new UsageException($"--backbone-lr must be positive; got {x}.");
        }
        int available = backbone.BlockCount;
        if (blocks > available)
        {
            throw new UsageException($"--finetune {blocks}: the backbone '{backbone.Reference}' has {available} blocks (residual units).");
        }
        return (blocks, lr ?? headLr / 10f);
    }

    /// <summary>The backbone named on the command line, or null without --backbone.</summary>
    internal Backbone? Open(ParseResult parseResult)
    {
        string? name = parseResult.GetValue(Backbone);
        if (name is null)
        {
            if (parseResult.GetValue(InputSize) is not null || parseResult.GetValue(Freeze) || parseResult.GetValue(Features) is not null)
            {
                throw new UsageException("--backbone-input-size, --backbone-features and --freeze-backbone need --backbone.");
            }
            return null;
        }
        int? size = parseResult.GetValue(InputSize);
        string spec = parseResult.GetValue(Features) ?? DefaultFeatures;
        BackboneFeatures features;
        try
        {
            features = BackboneFeatures.Parse(spec);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--backbone-features: {e.Message}");
        }
        try
        {
            return Onnx.Backbones.Backbone.Open(name, size, features);
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new UsageException($"--backbone {name}: {message}");
        }
        catch (OnnxImportException e)
        {
            throw new InvalidDataException($"--backbone {name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Adam (AdamW with weight decay) with two parameter groups: the fine-tuned backbone parameters at
    /// <paramref name="backboneLr"/> and everything else trainable (head, loss) at <paramref name="lr"/>. Frozen
    /// parameters are left out.
    /// </summary>
    internal static Optimizer FinetuneOptimizer(IReadOnlyList<Tensors.Tensor> parameters, IReadOnlyList<Tensors.Tensor> finetuned, float backboneLr, float lr, float weightDecay)
    {
        var inBackbone = new HashSet<Tensors.Tensor>(finetuned, ReferenceEqualityComparer.Instance);
        var head = parameters.Where(p => p.RequiresGrad && !inBackbone.Contains(p)).ToArray();
        var body = parameters.Where(p => p.RequiresGrad && inBackbone.Contains(p)).ToArray();
        ParamGroup[] groups = [new ParamGroup(head), new ParamGroup(body) { LearningRate = backboneLr }];
        return weightDecay > 0 ? new AdamW(groups, lr: lr, weightDecay: weightDecay) : new Adam(groups, lr: lr);
    }

    private static Tensors.Tensor Normalized(FeatureDataset data)
    {
        int dim = data.Dimension;
        var values = data.Features.ToArray();
        for (int i = 0; i < data.Count; i++)
        {
            var row = values.AsSpan(i * dim, dim);
            double norm = 0;
            foreach (float v in row)
            {
                norm += v * (double)v;
            }
            float inv = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
            for (int d = 0; d < dim; d++)
            {
                row[d] *= inv;
            }
        }
        return Tensors.Tensor.Wrap(values, data.Count, dim);
    }

    /// <summary>
    /// Features of every split and a head that starts from the backbone features themselves (identity at the feature
    /// size, else an orthonormal projection). With <c>views</c> &gt; 0 the training images are augmented and that many
    /// views of each are precomputed (<see cref="AugmentedFeatureDataset"/>).
    /// </summary>
    internal static (IDataset Train, IDataset? Validation, IDataset Test, EmbeddingModel HeadOnly) Prepare(
        Backbone backbone, IDataset train, IDataset? validation, IDataset test, int embeddingSize, ulong seed, TextWriter? log, int views = 0, bool extractTrain = true)
    {
        FeatureDataset Extract(IDataset data, string what)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            var f = backbone.ExtractFeatures(data);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{backbone.Reference} features of {data.Count:N0} {what} images at {backbone.InputSize}×{backbone.InputSize}: {System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds:F1} s"));
            return f;
        }
        IDataset trainFeatures;
        if (!extractTrain)
        {
            // A 0-epoch run never reads the training images' features: they stay images (their labels serve the sampler).
            trainFeatures = train;
        }
        else if (views > 0)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            trainFeatures = AugmentedFeatureDataset.Extract(backbone, train, views, seed);
            log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{backbone.Reference} features of {train.Count:N0} training images and {views} augmented views of each at {backbone.InputSize}×{backbone.InputSize}: {System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds:F1} s"));
        }
        else
        {
            trainFeatures = Extract(train, "training");
        }
        var validationFeatures = validation is null ? null : Extract(validation, "validation");
        var testFeatures = Extract(test, "test");
        if (log is not null)
        {
            // The baseline the head has to keep: the backbone's own features, normalised, neither centred nor trained.
            var m = RetrievalMetrics.Compute(Normalized(testFeatures), testFeatures.Labels);
            string onValidation = "";
            if (validationFeatures is not null)
            {
                // The initial (identity) head's figure that model selection compares every trained epoch with.
                var v = RetrievalMetrics.Compute(Normalized(validationFeatures), validationFeatures.Labels);
                onValidation = string.Create(CultureInfo.InvariantCulture, $"; on the validation classes: P@1 {v.PrecisionAt1:F4}, MAP@R {v.MapAtR:F4}");
            }
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"frozen backbone features alone ({backbone.Features}, L2-normalised) on the test classes: P@1 {m.PrecisionAt1:F4}, MAP@R {m.MapAtR:F4}{onValidation}"));
        }
        // Not centred: measured on Fashion-MNIST at 128 px, centring on the training classes' mean lowered the unseen
        // classes' MAP@R (0.459 → 0.403), so the head starts from the plain features.
        var head = Onnx.Backbones.Backbone.Head(backbone.FeatureDimension, embeddingSize, default, seed);
        return (trainFeatures, validationFeatures, testFeatures, new EmbeddingModel(new Identity(), head));
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepMetric.Data;
using DeepMetric.Data.Images;
using DeepMetric.Tensors.Optim;
using Spectre.Console;

namespace DeepMetric.Cli.Commands;

/// <summary>
/// <c>deepmetric train</c>: trains an embedding model on the training classes of Fashion-MNIST (0–4) and reports
/// retrieval metrics on the unseen test classes (5–9), beside the untrained network's as a baseline.
/// </summary>
internal static class TrainCommand
{
    internal const string Mlp = "mlp";
    internal const string Cnn = "cnn";
    internal const string ResNet = "resnet";
    internal const string PixelResidual = "pixel-residual";

    private static readonly int[] s_ks = [1, 2, 4, 8];

    internal static Command Create(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "Network: 'mlp' (784-256-256), 'cnn' (the reference CNN), 'resnet' (residual CNN, 3 stages of 2 basic blocks with BatchNorm) or 'pixel-residual' (zero-initialised MLP correction around a fixed random projection of the normalised pixels)", DefaultValueFactory = _ => Mlp, HelpName = "name" };
        model.AcceptOnlyFromAmong(Mlp, Cnn, ResNet, PixelResidual);
        var loss = new Option<string>("--loss")
        {
            Description = "Loss: " + string.Join("; ", LossRegistry.Losses.Select(l => $"'{l.Name}' {l.Description}")),
            DefaultValueFactory = _ => "triplet",
            HelpName = "name",
        };
        loss.AcceptOnlyFromAmong(LossRegistry.LossNames);
        var miner = new Option<string>("--miner")
        {
            Description = "Miner: " + string.Join("; ", LossRegistry.Miners.Select(m => $"'{m.Name}' {m.Description}")),
            DefaultValueFactory = _ => "semihard",
            HelpName = "name",
        };
        miner.AcceptOnlyFromAmong(LossRegistry.MinerNames);
        var margin = new Option<float?>("--margin") { Description = "Loss margin (default: the loss's, see --loss)", HelpName = "value" };
        var minerMargin = new Option<float?>("--miner-margin") { Description = "Miner margin (default: the miner's, see --miner)", HelpName = "value" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 3, HelpName = "n" };
        var iterations = new Option<int>("--iterations-per-epoch")
        {
            Description = "Iterations per epoch at most; 0 for a whole epoch (training images / batch size)",
            DefaultValueFactory = _ => 100,
            HelpName = "n",
        };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per batch", DefaultValueFactory = _ => 128, HelpName = "n" };
        var mPerClass = new Option<int>("--m-per-class") { Description = "Images per class in a batch (batch size / m classes per batch)", DefaultValueFactory = _ => 32, HelpName = "m" };
        var embeddingSize = new Option<int>("--embedding-size") { Description = "Embedding dimension (L2-normalised)", DefaultValueFactory = _ => 64, HelpName = "n" };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3f, HelpName = "rate" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initialisation and sampling", DefaultValueFactory = _ => 0UL, HelpName = "n" };
        var runDir = new Option<DirectoryInfo?>("--run-dir") { Description = "Directory for config.json, metrics.json(l), iterations.jsonl, checkpoints, model.safetensors and report.html", HelpName = "dir" };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue the run in this run directory from its last checkpoint (pass the same options; --epochs is the new total; the LR schedule keeps the original run's length)", HelpName = "dir" };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate on the validation split every n epochs (needs --validation-fraction)", DefaultValueFactory = _ => 1, HelpName = "n" };
        var patience = new Option<int>("--patience") { Description = "Stop after n evaluations without a better validation MAP@R; 0 never stops", DefaultValueFactory = _ => 0, HelpName = "n" };
        var validationFraction = new Option<double>("--validation-fraction")
        {
            Description = "Hold out this fraction of every TRAINING class for validation (best-model keeping, early stopping); 0 for none",
            DefaultValueFactory = _ => 0,
            HelpName = "f",
        };
        var scheduler = new Option<string>("--scheduler")
        {
            Description = "LR schedule: 'none'; 'step' (x0.1 every third of the epochs, per epoch); 'cosine' (per epoch); 'warmup-cosine' (linear warm-up over the first epoch, then cosine, per iteration)",
            DefaultValueFactory = _ => "none",
            HelpName = "name",
        };
        scheduler.AcceptOnlyFromAmong("none", "step", "cosine", "warmup-cosine");
        var validationHoldout = new Option<string>("--validation-holdout")
        {
            Description = "With --validation-fraction: hold out that fraction of the samples of every training class ('samples', measures seen classes) or of the training classes themselves ('classes', at least 2; mimics the open-set test)",
            DefaultValueFactory = _ => "samples",
            HelpName = "mode",
        };
        validationHoldout.AcceptOnlyFromAmong("samples", "classes");
        var augment = new Option<bool>("--augment")
        {
            Description = "Augment training batches: random crop with 2 pixels of padding and a horizontal flip (label-preserving for Fashion-MNIST clothes and shoes)",
        };
        var evaluateInitial = new Option<bool>("--evaluate-initial")
        {
            Description = "Also evaluate the untrained model on the validation split; it stays the selected model unless training beats it (needs --validation-fraction)",
        };
        var weightDecay = new Option<float>("--weight-decay") { Description = "Decoupled weight decay (AdamW) of the model and loss parameters; 0 uses Adam", DefaultValueFactory = _ => 0f, HelpName = "x" };
        var clipGradNorm = new Option<float>("--clip-grad-norm") { Description = "Clip the joint gradient L2 norm to this value; 0 for no clipping", DefaultValueFactory = _ => 0f, HelpName = "x" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the metrics table" };
        var json = new Option<bool>("--json") { Description = "Print only one JSON line with the final metrics" };
        var recipe = RecipeDefaults.CreateOption();
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html into the run directory at the end" };
        var (dataSource, samplers) = (new DataSourceOptions(context.Options), new SamplerOptions());
        var backbones = new BackboneOptions();

        var command = new Command("train", "Train an embedding model on Fashion-MNIST classes 0-4 and evaluate retrieval on the unseen classes 5-9.")
        {
            model, loss, miner, margin, minerMargin, epochs, iterations, batchSize, mPerClass, embeddingSize, lr, seed, runDir, resume, evalEvery, patience, validationFraction, validationHoldout, scheduler, clipGradNorm, augment, weightDecay, evaluateInitial, quiet, json, recipe, noReport,
        };
        dataSource.AddTo(command);
        dataSource.AddAugmentationTo(command);
        samplers.AddTo(command);
        backbones.AddTo(command);
        command.SetAction(parseResult => Run(context, parseResult, dataSource, samplers, backbones, WithBackboneDefaults(parseResult, backbones, embeddingSize, validationFraction, validationHoldout, evaluateInitial, patience, batchSize, lr, new TrainSettings(
            RecipeDefaults.Pick(parseResult, model, recipe, r => ModelName(r.Model)) ?? Mlp,
            RecipeDefaults.Pick(parseResult, loss, recipe, r => r.LossName) ?? "triplet",
            RecipeDefaults.Pick(parseResult, miner, recipe, r => r.MinerName) ?? "semihard",
            parseResult.GetValue(margin),
            parseResult.GetValue(minerMargin),
            parseResult.GetValue(epochs),
            parseResult.GetValue(iterations),
            RecipeDefaults.Pick(parseResult, batchSize, recipe, r => r.BatchSize),
            RecipeDefaults.Pick(parseResult, mPerClass, recipe, r => r.MPerClass),
            RecipeDefaults.Pick(parseResult, embeddingSize, recipe, r => r.EmbeddingSize),
            RecipeDefaults.Pick(parseResult, lr, recipe, r => r.LearningRate),
            parseResult.GetValue(seed),
            parseResult.GetValue(runDir)?.FullName ?? parseResult.GetValue(resume)?.FullName,
            parseResult.GetValue(quiet),
            parseResult.GetValue(json))
        {
            Resume = parseResult.GetValue(resume)?.FullName,
            EvalEvery = parseResult.GetValue(evalEvery),
            Patience = parseResult.GetValue(patience),
            ValidationFraction = parseResult.GetValue(validationFraction),
            Scheduler = parseResult.GetValue(scheduler) ?? "none",
            ClipGradNorm = parseResult.GetValue(clipGradNorm),
            Report = !parseResult.GetValue(noReport),
            HoldOutClasses = parseResult.GetValue(validationHoldout) == "classes",
            Augment = parseResult.GetValue(augment),
            WeightDecay = parseResult.GetValue(weightDecay),
            EvaluateInitial = parseResult.GetValue(evaluateInitial),
        })));
        return command;
    }

    // With --backbone, unless given: the head starts at the backbone's own geometry, and early stopping on held-out
    // training classes lets that initial model win when training on the seen classes hurts the unseen ones.
    private static TrainSettings WithBackboneDefaults(ParseResult p, BackboneOptions backbones, Option<int> embeddingSize, Option<double> validationFraction,
        Option<string> validationHoldout, Option<bool> evaluateInitial, Option<int> patience, Option<int> batchSize, Option<float> lr, TrainSettings s) =>
        p.GetValue(backbones.Backbone) is null ? s : (s with
        {
            FeatureSizedEmbedding = !Given(p, embeddingSize),
            ValidationFraction = !Given(p, validationFraction) ? 0.4 : s.ValidationFraction,
            HoldOutClasses = !Given(p, validationHoldout) || s.HoldOutClasses,
            // Measured on Fashion-MNIST's unseen classes at 128 px: 1e-3 moves the head further from the pretrained geometry.
            Lr = !Given(p, lr) ? 1e-4f : s.Lr,
            // Fashion-MNIST keeps 3 of its 5 training classes once 2 are held out: 3 classes × m per class.
            BatchSize = !Given(p, batchSize) && !Given(p, validationFraction) && !Given(p, validationHoldout) ? 3 * s.MPerClass : s.BatchSize,
        }) is var b && b.ValidationFraction > 0 ? b with
        {
            EvaluateInitial = !Given(p, evaluateInitial) || s.EvaluateInitial,
            Patience = !Given(p, patience) ? 1 : s.Patience,
        } : b;

    private static bool Given(ParseResult p, Option option) => p.GetResult(option) is { Implicit: false };

    private static int Run(CliContext context, ParseResult parseResult, DataSourceOptions dataSource, SamplerOptions samplers, BackboneOptions backbones, TrainSettings s)
    {
        Validate(s);
        var backbone = backbones.Open(parseResult);
        if (backbone is not null && s.FeatureSizedEmbedding)
        {
            s = s with { EmbeddingSize = backbone.FeatureDimension };
        }
        var data = dataSource.Load(parseResult);
        var (train, test) = (data.Train, data.Test);
        IDataset? validation = null;
        if (s.ValidationFraction > 0)
        {
            // Never the test classes: validation comes from the training classes' own images.
            (train, validation) = ValidationSplit.Split(train, s.ValidationFraction, s.Seed,
                s.HoldOutClasses ? ValidationHoldout.Classes : ValidationHoldout.Samples);
        }
        dataSource.CheckAugmentationOptions(parseResult, s.Augment);
        if (s.Augment)
        {
            // Flips are label-preserving here: Fashion-MNIST's clothes, bags and shoes stay in their class when mirrored.
            train = train switch
            {
                ImageDataset images => images.WithAugmenter(Augmenter.CropAndFlip(padding: 2, flip: true, seed: s.Seed)),
                ImageFolderDataset folder => folder.WithTraining(dataSource.TrainingTransform(parseResult), s.Seed),
                _ => throw new UsageException("--augment applies to images; the training data here are feature vectors."),
            };
        }
        var (channels, height, width) = DatasetSummary.Shape(train);
        var imageTest = test;
        EmbeddingModel? headOnly = null;
        if (backbone is not null)
        {
            if (s.Augment)
            {
                throw new UsageException("--augment with --backbone is not supported yet (features are cached once per image).");
            }
            (train, validation, test, headOnly) = BackboneOptions.Prepare(backbone, train, validation, test, s.EmbeddingSize, s.Seed, !s.Quiet && !s.Json ? context.Output : null);
            s = s with { Model = "backbone:" + backbone.Reference };
        }
        var (sampler, batchDescription) = samplers.Create(parseResult, data with { Train = train }, s.Loss, s.BatchSize, s.MPerClass, s.Seed);
        s = s with { BatchSize = sampler.BatchSize };

        var embeddingModel = headOnly ?? ModelLoader.Create(s.Model, s.EmbeddingSize, channels, height, width, s.Seed);
        var lossSettings = new LossSettings(s.Margin, s.MinerMargin, s.Seed, NumClasses: train.Labels.ToArray().Max() + 1, s.EmbeddingSize);
        var loss = LossRegistry.CreateLoss(s.Loss, lossSettings);
        var miner = LossRegistry.CreateMiner(s.Miner, lossSettings);
        int iterationsPerEpoch = Math.Min(s.IterationsPerEpoch == 0 ? int.MaxValue : s.IterationsPerEpoch, sampler.BatchesPerEpoch);
        Func<IReadOnlyList<Tensors.Tensor>, Optimizer> optimizer = s.WeightDecay > 0
            ? p => new AdamW(p, lr: s.Lr, weightDecay: s.WeightDecay)
            : p => new Adam(p, lr: s.Lr);
        var trainer = new Trainer(embeddingModel, loss, miner, optimizer, sampler)
        {
            IterationsPerEpoch = s.IterationsPerEpoch == 0 ? null : s.IterationsPerEpoch,
            RecallKs = s_ks,
            SchedulerFactory = SchedulerFactory(s, ScheduleEpochs(s), iterationsPerEpoch),
            SchedulerInterval = s.Scheduler == "warmup-cosine" ? SchedulerInterval.Iteration : SchedulerInterval.Epoch,
            ClipGradNorm = s.ClipGradNorm > 0 ? s.ClipGradNorm : null,
            EvaluateEvery = s.EvalEvery,
            Patience = s.Patience > 0 ? s.Patience : null,
            EvaluateInitialModel = s.EvaluateInitial,
            RunDirectory = s.RunDir,
            Callbacks = s.RunDir is null ? null : new IterationLog(Path.Combine(s.RunDir, RunDirectory.IterationsFile)),
        };
        if (s.Resume is not null)
        {
            try
            {
                trainer.Resume(s.Resume);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                throw new UsageException($"--resume {s.Resume}: {e.Message}");
            }
            if (trainer.Epoch >= s.Epochs)
            {
                throw new UsageException($"--resume: the run already completed {trainer.Epoch} epoch(s); pass a larger --epochs (the total).");
            }
        }

        bool chatty = !s.Quiet && !s.Json;
        var output = context.Output;
        if (chatty)
        {
            output.WriteLine(data.Description);
            output.WriteLine(Invariant($"train: {data.TrainClasses}, {train.Count:N0} images; test: {data.TestClasses}, {test.Count:N0} images"));
            output.WriteLine(Invariant(
                $"{s.Model} ({embeddingModel.ParameterCount:N0} parameters, embedding {s.EmbeddingSize}), loss {s.Loss}, miner {s.Miner}, batch {batchDescription}, {(s.WeightDecay > 0 ? $"AdamW lr {s.Lr:G} weight decay {s.WeightDecay:G}" : $"Adam lr {s.Lr:G}")}{(s.Augment ? (train is ImageFolderDataset ? ", random-resized-crop+flip augmentation" : ", crop+flip augmentation") : "")}, {s.Epochs} epoch(s) × {iterationsPerEpoch} iterations, seed {s.Seed}"));
        }
        if (s.RunDir is not null && s.Resume is null)
        {
            Directory.CreateDirectory(s.RunDir);
            RunDirectory.WriteTextAtomically(Path.Combine(s.RunDir, "config.json"), ConfigJson(s, data, iterationsPerEpoch) + "\n");
        }

        long e0 = Stopwatch.GetTimestamp();
        var untrained = trainer.Evaluate(test);
        double baselineSeconds = Stopwatch.GetElapsedTime(e0).TotalSeconds;

        var results = Fit(trainer, train, validation, s.Epochs, chatty, output);
        if (validation is not null && trainer.RestoreBestModel() && chatty)
        {
            output.WriteLine(trainer.BestEpoch == 0
                ? Invariant($"kept the initial model: no epoch beat its validation MAP@R {trainer.BestValue:F4}")
                : Invariant($"restored the best model: epoch {trainer.BestEpoch}, validation MAP@R {trainer.BestValue:F4}"));
        }
        long e1 = Stopwatch.GetTimestamp();
        var testEmbeddings = trainer.Embed(test);
        var trained = RetrievalMetrics.Compute(testEmbeddings, test.Labels, s_ks);
        double evalSeconds = Stopwatch.GetElapsedTime(e1).TotalSeconds;
        var clustering = s.Json || s.RunDir is not null ? ClusteringMetrics.Compute(testEmbeddings, test.Labels, s.Seed) : null;
        double trainSeconds = results.Sum(r => r.TrainSeconds);
        double samplesPerSecond = results.Sum(r => r.Iterations * (double)s.BatchSize) / Math.Max(results.Sum(r => r.Iterations * (double)s.BatchSize / r.SamplesPerSecond), 1e-9);

        var metricsJson = MetricsJson(s, trained, clustering, untrained, trainSeconds, samplesPerSecond, evalSeconds, results[^1].MeanLoss);
        if (s.RunDir is not null)
        {
            var metadata = backbone?.Metadata(s.EmbeddingSize, channels, height, width) ?? ModelLoader.Metadata(s.Model, s.EmbeddingSize, channels, height, width);
            dataSource.Preprocessing?.WriteTo(metadata);   // image folders: how files were fitted to the input
            // A backbone run trained its head on cached features: save the backbone with it so the model takes images.
            (backbone?.WithHead(embeddingModel.Embedder) ?? embeddingModel).Save(Path.Combine(s.RunDir, "model.safetensors"), metadata);
            RunDirectory.WriteTextAtomically(Path.Combine(s.RunDir, "metrics.json"), metricsJson + "\n");
            if (s.Report)
            {
                string description = data.Location is { } at ? $"Fashion-MNIST test split from {DatasetSummary.Describe(at)}" : data.Description;
                ReportCommand.Write([s.RunDir], imageTest, data.FashionMnist?.SeenClassesSplit().Test, description,
                    Path.Combine(s.RunDir, RunDirectory.ReportFile), s.Seed);
            }
        }

        if (s.Json)
        {
            output.WriteLine(metricsJson);
            return CliApp.Success;
        }
        context.Console.Write(MetricsTable(data.TestClasses, untrained, trained));
        if (!s.Quiet)
        {
            output.WriteLine(Invariant(
                $"trained in {trainSeconds:F1} s ({samplesPerSecond:N0} samples/s); evaluation of {trained.QueryCount:N0} unseen-class queries in {evalSeconds:F2} s (untrained baseline {baselineSeconds:F2} s)"));
            if (train is ImageFolderDataset)
            {
                double wait = results.Sum(r => r.DataWaitSeconds);
                output.WriteLine(Invariant($"waited {wait:F1} s for training batches decoded ahead ({100 * wait / Math.Max(trainSeconds, 1e-9):F1} % of training time)"));
            }
            if (s.RunDir is not null)
            {
                output.WriteLine($"run directory: {s.RunDir}");
                if (s.Report)
                {
                    output.WriteLine($"report: {Path.Combine(s.RunDir, RunDirectory.ReportFile)}");
                }
            }
        }
        return CliApp.Success;
    }

    private static void Validate(TrainSettings s)
    {
        static void Positive(int v, string name)
        {
            if (v <= 0)
            {
                throw new UsageException($"{name} must be positive, got {v}.");
            }
        }
        Positive(s.Epochs, "--epochs");
        Positive(s.BatchSize, "--batch-size");
        Positive(s.MPerClass, "--m-per-class");
        Positive(s.EmbeddingSize, "--embedding-size");
        if (s.IterationsPerEpoch < 0)
        {
            throw new UsageException($"--iterations-per-epoch must be positive or 0 (whole epochs), got {s.IterationsPerEpoch}.");
        }
        if (s.BatchSize % s.MPerClass != 0)
        {
            throw new UsageException($"--batch-size ({s.BatchSize}) must be a multiple of --m-per-class ({s.MPerClass}).");
        }
        if (!float.IsFinite(s.Lr) || s.Lr <= 0)
        {
            throw new UsageException(Invariant($"--lr must be a positive number, got {s.Lr}."));
        }
        if (s.Margin is float m && !float.IsFinite(m))
        {
            throw new UsageException("--margin must be finite.");
        }
        Positive(s.EvalEvery, "--eval-every");
        if (s.Patience < 0)
        {
            throw new UsageException($"--patience must be 0 (never stop early) or positive, got {s.Patience}.");
        }
        if (!(s.ValidationFraction >= 0 && s.ValidationFraction < 1))
        {
            throw new UsageException(Invariant($"--validation-fraction must be in [0, 1), got {s.ValidationFraction}."));
        }
        if (s.EvaluateInitial && s.ValidationFraction == 0)
        {
            throw new UsageException("--evaluate-initial needs a validation split (--validation-fraction).");
        }
        if (s.Patience > 0 && s.ValidationFraction == 0)
        {
            throw new UsageException("--patience needs a validation split (--validation-fraction).");
        }
        if (!(s.WeightDecay >= 0 && float.IsFinite(s.WeightDecay)))
        {
            throw new UsageException(Invariant($"--weight-decay must be 0 (Adam) or a positive number, got {s.WeightDecay}."));
        }
        if (!(s.ClipGradNorm >= 0 && float.IsFinite(s.ClipGradNorm)))
        {
            throw new UsageException(Invariant($"--clip-grad-norm must be 0 (off) or a positive number, got {s.ClipGradNorm}."));
        }
        if (s.MinerMargin is float mm && !float.IsFinite(mm))
        {
            throw new UsageException("--miner-margin must be finite.");
        }
    }

    private static IReadOnlyList<EpochResult> Fit(Trainer trainer, IDataset train, IDataset? validation, int epochs, bool chatty, TextWriter output)
    {
        // A live bar only when stderr is a terminal; otherwise one plain line per epoch on stdout.
        if (chatty && !Console.IsErrorRedirected && ReferenceEquals(output, Console.Out))
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            IReadOnlyList<EpochResult> results = [];
            console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("training", maxValue: epochs * (double)Math.Min(trainer.IterationsPerEpoch ?? int.MaxValue, trainer.Sampler.BatchesPerEpoch));
                    results = trainer.Fit(train, epochs, validation, progress: new Reporter(p =>
                    {
                        if (p.EpochEnd is null)
                        {
                            task.Value = ((p.Epoch - 1) * (double)p.IterationsPerEpoch) + p.Iteration;
                            task.Description = Markup.Escape(Describe(p));
                        }
                    }));
                });
            return results;
        }
        return trainer.Fit(train, epochs, validation, progress: new Reporter(p =>
        {
            if (chatty && p.EpochEnd is { } e)
            {
                output.WriteLine(Invariant(
                    $"epoch {e.Epoch}/{p.Epochs}: mean loss {e.MeanLoss:F4}{(e.MeanMinedTuples is double t ? $", {t:N0} tuples/batch" : "")}, {e.SamplesPerSecond:N0} samples/s, {e.TrainSeconds:F1} s{(e.Validation is { } v ? $", validation MAP@R {v.MapAtR:F4}{(e.IsBest ? " (best)" : "")}" : "")}"));
            }
        }));
    }

    private static string Describe(TrainingProgress p) => Invariant(
        $"{p.Epoch}/{p.Epochs} loss {p.Loss:F4}{(p.MinedTuples is int t ? $" · {t:N0} tuples" : "")} · {p.SamplesPerSecond:N0}/s");

    private static Table MetricsTable(string title, Metrics untrained, Metrics trained)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn("metric");
        table.AddColumn(new TableColumn("untrained").RightAligned());
        table.AddColumn(new TableColumn("trained").RightAligned());
        void Row(string name, double before, double after) => table.AddRow(name, Invariant($"{before:F4}"), Invariant($"{after:F4}"));
        Row("P@1", untrained.PrecisionAt1, trained.PrecisionAt1);
        foreach (int k in s_ks)
        {
            Row($"R@{k}", untrained.Recall(k), trained.Recall(k));
        }
        Row("R-Precision", untrained.RPrecision, trained.RPrecision);
        Row("MAP@R", untrained.MapAtR, trained.MapAtR);
        return table;
    }

    private static string MetricsJson(TrainSettings s, Metrics m, ClusteringScores? clustering, Metrics untrained, double trainSeconds, double samplesPerSecond, double evalSeconds, double finalLoss) =>
        CliJson.Object(w =>
        {
            w.WriteString("model", s.Model);
            w.WriteString("loss", s.Loss);
            w.WriteString("miner", s.Miner);
            w.WriteNumber("epochs", s.Epochs);
            w.WriteNumber("seed", s.Seed);
            w.WriteNumber("final_loss", CliJson.Round(finalLoss));
            w.WriteNumber("train_seconds", CliJson.Round(trainSeconds));
            w.WriteNumber("train_samples_per_s", Math.Round(samplesPerSecond, 1));
            w.WriteNumber("eval_seconds", CliJson.Round(evalSeconds));
            w.WriteNumber("queries", m.QueryCount);
            w.WriteNumber("precision_at_1", CliJson.Round(m.PrecisionAt1));
            foreach (int k in s_ks)
            {
                w.WriteNumber($"recall_at_{k}", CliJson.Round(m.Recall(k)));
            }
            w.WriteNumber("r_precision", CliJson.Round(m.RPrecision));
            w.WriteNumber("map_at_r", CliJson.Round(m.MapAtR));
            w.WriteNumber("map", CliJson.Round(m.Map));
            w.WriteNumber("mrr", CliJson.Round(m.Mrr));
            if (clustering is not null)
            {
                w.WriteNumber("nmi", CliJson.Round(clustering.Nmi));
                w.WriteNumber("ami", CliJson.Round(clustering.Ami));
            }
            w.WriteNumber("untrained_precision_at_1", CliJson.Round(untrained.PrecisionAt1));
            w.WriteNumber("untrained_map_at_r", CliJson.Round(untrained.MapAtR));
        });

    private static string ConfigJson(TrainSettings s, DataSplit data, int iterationsPerEpoch) =>
        CliJson.Object(w =>
        {
            data.WriteJson(w);
            w.WriteString("model", s.Model);
            w.WriteString("loss", s.Loss);
            w.WriteString("miner", s.Miner);
            if (s.Margin is float m)
            {
                w.WriteNumber("margin", m);
            }
            if (s.MinerMargin is float mm)
            {
                w.WriteNumber("miner_margin", mm);
            }
            w.WriteNumber("epochs", s.Epochs);
            w.WriteNumber("iterations_per_epoch", iterationsPerEpoch);
            w.WriteNumber("batch_size", s.BatchSize);
            w.WriteNumber("m_per_class", s.MPerClass);
            w.WriteNumber("embedding_size", s.EmbeddingSize);
            w.WriteString("optimizer", s.WeightDecay > 0 ? "adamw" : "adam");
            w.WriteNumber("weight_decay", s.WeightDecay);
            w.WriteBoolean("augment", s.Augment);
            w.WriteString("validation_holdout", s.HoldOutClasses ? "classes" : "samples");
            w.WriteNumber("lr", s.Lr);
            w.WriteString("scheduler", s.Scheduler);
            w.WriteNumber("clip_grad_norm", s.ClipGradNorm);
            w.WriteNumber("validation_fraction", s.ValidationFraction);
            w.WriteNumber("eval_every", s.EvalEvery);
            w.WriteNumber("patience", s.Patience);
            w.WriteBoolean("evaluate_initial", s.EvaluateInitial);
            w.WriteNumber("seed", s.Seed);
        });

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private sealed record TrainSettings(string Model, string Loss, string Miner, float? Margin, float? MinerMargin, int Epochs, int IterationsPerEpoch,
        int BatchSize, int MPerClass, int EmbeddingSize, float Lr, ulong Seed, string? RunDir, bool Quiet, bool Json)
    {
        public string? Resume { get; init; }
        public int EvalEvery { get; init; } = 1;
        public int Patience { get; init; }
        public double ValidationFraction { get; init; }
        public string Scheduler { get; init; } = "none";
        public float ClipGradNorm { get; init; }
        public bool Report { get; init; } = true;
        public bool HoldOutClasses { get; init; }
        public bool Augment { get; init; }
        public float WeightDecay { get; init; }
        public bool EvaluateInitial { get; init; }
        public bool FeatureSizedEmbedding { get; init; }
    }

    private static string ModelName(ModelKind kind) => Recipes.ModelName(kind);

    // The schedule spans the epochs of the original run, so a resumed (possibly extended) run keeps it.
    private static int ScheduleEpochs(TrainSettings s)
    {
        if (s.Resume is null)
        {
            return s.Epochs;
        }
        string config = Path.Combine(s.Resume, RunDirectory.ConfigFile);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            return doc.RootElement.GetProperty("epochs").GetInt32();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new UsageException($"--resume {s.Resume}: cannot read the original run's epochs from {config}: {e.Message}");
        }
    }

    private static Func<Optimizer, LrScheduler>? SchedulerFactory(TrainSettings s, int epochs, int iterationsPerEpoch) => s.Scheduler switch
    {
        "step" => o => new StepLR(o, stepSize: Math.Max(1, epochs / 3)),
        "cosine" => o => new CosineAnnealingLR(o, tMax: epochs),
        "warmup-cosine" => o => new LinearWarmupCosine(o, warmupSteps: iterationsPerEpoch, totalSteps: Math.Max(epochs * iterationsPerEpoch, iterationsPerEpoch + 1)),
        _ => null,
    };

    private sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

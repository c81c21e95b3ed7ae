using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DeepMetric.Miners;
using DeepMetric.Tensors.Optim;
using DeepMetric.Training;

namespace DeepMetric.Runs;

/// <summary>
/// The settings of a training run, kept in <see cref="RunDirectory.ConfigFile"/> of its run directory: what
/// <c>deepmetric train</c> was asked to do, so that a resume can check it is continuing the same run, and the report,
/// <see cref="ModelLoader"/>, <c>calibrate</c> and <c>dedup</c> can say what produced a model.
/// </summary>
/// <remarks>
/// Serialised with System.Text.Json source generation (<see cref="RunJsonContext"/>), snake_case keys. Keys this
/// version does not know are kept in <see cref="Extra"/> and written back unchanged. <see cref="Epochs"/> is the
/// length of the original run (its learning-rate schedule); every later <c>--resume</c> adds a <see cref="RunSegment"/>.
/// </remarks>
public sealed record RunConfig
{
    /// <summary>A configuration with the defaults (set the properties with an object initializer).</summary>
    [JsonConstructor]
    public RunConfig()
    {
    }

    /// <summary>Where the data came from (a short description, e.g. <c>fashion-mnist</c> or a file list).</summary>
    public string Data { get; init; } = string.Empty;

    /// <summary>The resolved data directory (Fashion-MNIST), or null when <see cref="DataPaths"/> is used.</summary>
    public string? DataDir { get; init; }

    /// <summary>How the data directory was found (option, environment, system, shipped subset).</summary>
    public string? DataOrigin { get; init; }

    /// <summary>The data files of other sources (CSV, .npy, image folders), or null.</summary>
    public IReadOnlyList<string>? DataPaths { get; init; }

    /// <summary>How the data was split into training and test sets.</summary>
    public string Split { get; init; } = string.Empty;

    /// <summary>Input channels of the network.</summary>
    public int InputChannels { get; init; }

    /// <summary>Input height of the network.</summary>
    public int InputHeight { get; init; }

    /// <summary>Input width of the network.</summary>
    public int InputWidth { get; init; }

    /// <summary>Network kind (<see cref="ModelLoader.Mlp"/>, <see cref="ModelLoader.Cnn"/>, ...).</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>Loss name in <see cref="LossRegistry"/>.</summary>
    public string Loss { get; init; } = string.Empty;

    /// <summary>Miner name in <see cref="LossRegistry"/>.</summary>
    public string Miner { get; init; } = string.Empty;

    /// <summary>The loss margin, or null for the loss's default.</summary>
    public float? Margin { get; init; }

    /// <summary>The miner margin, or null for the miner's default.</summary>
    public float? MinerMargin { get; init; }

    /// <summary>Epochs of the original run (the length of its learning-rate schedule).</summary>
    public int Epochs { get; init; }

    /// <summary>Iterations per epoch.</summary>
    public int IterationsPerEpoch { get; init; }

    /// <summary>Items per batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>Items per class in a batch.</summary>
    public int MPerClass { get; init; }

    /// <summary>The sampler (null: the default M-per-class sampler).</summary>
    public string? Sampler { get; init; }

    /// <summary>Embedding dimension.</summary>
    public int EmbeddingSize { get; init; }

    /// <summary><c>adam</c> or <c>adamw</c>.</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>Decoupled weight decay (AdamW), 0 with Adam.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Whether training batches are augmented.</summary>
    public bool Augment { get; init; }

    /// <summary><c>samples</c> or <c>classes</c>.</summary>
    public string ValidationHoldout { get; init; } = "samples";

    /// <summary>Learning rate.</summary>
    public float Lr { get; init; }

    /// <summary>Learning-rate schedule name.</summary>
    public string Scheduler { get; init; } = "none";

    /// <summary>Gradient-norm clipping (0: off).</summary>
    public float ClipGradNorm { get; init; }

    /// <summary>Fraction of the training data held out for validation.</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Validation every n epochs.</summary>
    public int EvalEvery { get; init; } = 1;

    /// <summary>Early-stopping patience (0: never).</summary>
    public int Patience { get; init; }

    /// <summary>Whether the untrained model was evaluated on validation.</summary>
    public bool EvaluateInitial { get; init; }

    /// <summary>Seed of initialisation and sampling.</summary>
    public ulong Seed { get; init; }

    /// <summary>One entry per start of training in this directory: the first run and every resume.</summary>
    public IReadOnlyList<RunSegment> Segments { get; init; } = [];

    /// <summary>Keys this version does not know, kept as they were.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>
    /// The settings that differ between <paramref name="previous"/> (the stored run) and this one, as
    /// <c>name: old → new</c> with the JSON key as name; empty when a resume continues the same run.
    /// <see cref="Epochs"/> (a resume passes the new total), <see cref="Segments"/> and <see cref="Extra"/> are not compared.
    /// </summary>
    public IReadOnlyList<string> ChangesFrom(RunConfig previous)
    {
        ArgumentNullException.ThrowIfNull(previous);
        var changes = new List<string>();
        void Compare<T>(string name, T old, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(old, now))
            {
                changes.Add($"{name}: {Show(old)} → {Show(now)}");
            }
        }
        Compare("data", previous.Data, Data);
        Compare("data_dir", previous.DataDir, DataDir);
        Compare("data_paths", previous.DataPaths is null ? null : string.Join(";", previous.DataPaths), DataPaths is null ? null : string.Join(";", DataPaths));
        Compare("split", previous.Split, Split);
        Compare("input_shape", (previous.InputChannels, previous.InputHeight, previous.InputWidth), (InputChannels, InputHeight, InputWidth));
        Compare("model", previous.Model, Model);
        Compare("loss", previous.Loss, Loss);
        Compare("miner", previous.Miner, Miner);
        Compare("margin", previous.Margin, Margin);
        Compare("miner_margin", previous.MinerMargin, MinerMargin);
        Compare("iterations_per_epoch", previous.IterationsPerEpoch, IterationsPerEpoch);
        Compare("batch_size", previous.BatchSize, BatchSize);
        Compare("m_per_class", previous.MPerClass, MPerClass);
        Compare("sampler", previous.Sampler, Sampler);
        Compare("embedding_size", previous.EmbeddingSize, EmbeddingSize);
        Compare("optimizer", previous.Optimizer, Optimizer);
        Compare("weight_decay", previous.WeightDecay, WeightDecay);
        Compare("augment", previous.Augment, Augment);
        Compare("validation_holdout", previous.ValidationHoldout, ValidationHoldout);
        Compare("lr", previous.Lr, Lr);
        Compare("scheduler", previous.Scheduler, Scheduler);
        Compare("clip_grad_norm", previous.ClipGradNorm, ClipGradNorm);
        Compare("validation_fraction", previous.ValidationFraction, ValidationFraction);
        Compare("eval_every", previous.EvalEvery, EvalEvery);
        Compare("patience", previous.Patience, Patience);
        Compare("evaluate_initial", previous.EvaluateInitial, EvaluateInitial);
        Compare("seed", previous.Seed, Seed);
        return changes;
    }

    /// <summary>The configuration as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RunJsonContext.Default.RunConfig);

    /// <summary>Writes the configuration to <paramref name="path"/> atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RunDirectory.WriteTextAtomically(path, ToJson() + "\n");
    }

    /// <summary>Reads a configuration written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid run configuration (the message names it).</exception>
    public static RunConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return JsonSerializer.Deserialize(bytes, RunJsonContext.Default.RunConfig)
                ?? throw new InvalidDataException($"'{path}' is not a run configuration (it holds null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid run configuration: {e.Message}", e);
        }
    }

    private static string Show<T>(T value) => value switch
    {
        null => "(none)",
        float f => f.ToString("G9", CultureInfo.InvariantCulture),
        double d => d.ToString("G17", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        ValueTuple<int, int, int> shape => string.Create(CultureInfo.InvariantCulture, $"{shape.Item1}×{shape.Item2}×{shape.Item3}"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

using System.Diagnostics;
using DeepMetric.Data;
using DeepMetric.Evaluation;
using DeepMetric.Losses;
using DeepMetric.Miners;
using DeepMetric.Samplers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Optim.Schedulers;
using DeepMetric.Tensors.Random;
using DeepMetric.Wrappers;

namespace DeepMetric.Training;

/// <summary>
/// Trains an <see cref="EmbeddingModel"/> with a metric loss: per iteration it draws a batch from the sampler,
/// embeds it, optionally mines tuples, computes the loss, back-propagates, optionally clips the gradient norm and
/// steps the optimizers (covering the model's parameters and the loss's own: proxies, centres, …). Several weighted
/// losses are combined with <see cref="MultipleLosses"/>. Optional: validation every <see cref="EvaluateEvery"/>
/// epochs with best-model keeping and early stopping, learning-rate schedulers, a run directory with checkpoints
/// every epoch, and exact resumption (<see cref="Resume(string)"/>). Progress goes to an <see cref="IProgress{T}"/>
/// and <see cref="Callbacks"/>; the library never writes to the console.
/// </summary>
/// <remarks>
/// Determinism: with the same seeds, a run resumed from a checkpoint produces bit-identical weights to an
/// uninterrupted one. The checkpoint captures model and loss tensors, optimizer and scheduler state, the sampler
/// position and the state of every <see cref="IRandomSource"/> generator in the model, the loss and the miner
/// (found through child modules and the components an <see cref="IRandomSourceContainer"/> names, such as the
/// miners of a <see cref="MultipleLosses"/>) and <see cref="RandomSources"/>. Not captured: the memory queue of a
/// <see cref="CrossBatchMemory"/> (it refills after resuming) and generators a component keeps without exposing them.
/// The checkpoint format lives in its own codec; early stopping and the run directory are callbacks run before
/// <see cref="Callbacks"/>.
/// </remarks>
public sealed class Trainer
{
    private readonly Optimizer[] _optimizers;
    private readonly List<EpochResult> _history = [];
    private LrScheduler[]? _schedulers;
    private ModelSelection? _selection;
    private EarlyStopping? _earlyStopping;

    /// <summary>Creates a trainer with one optimizer.</summary>
    /// <param name="model">The network.</param>
    /// <param name="loss">The metric loss.</param>
    /// <param name="miner">Optional miner whose tuples are passed to the loss.</param>
    /// <param name="optimizer">
    /// Builds the optimizer from the trainable parameters (model then loss), e.g. <c>p =&gt; new Adam(p, lr: 1e-3f)</c>,
    /// or with per-part learning rates <c>_ =&gt; new Adam(Trainer.ParameterGroups(model, loss, 1e-4f, 1e-3f, 1e-2f))</c>;
    /// null uses Adam with learning rate 1e-3.
    /// </param>
    /// <param name="sampler">Chooses the training batches (indices into the training set given to <see cref="Fit"/>).</param>
    public Trainer(EmbeddingModel model, MetricLoss loss, Miner? miner, Func<IReadOnlyList<Tensor>, Optimizer>? optimizer, BatchSampler sampler)
        : this(model, loss, miner, sampler, CreateOptimizer(model, loss, optimizer))
    {
    }

    private Trainer(EmbeddingModel model, MetricLoss loss, Miner? miner, BatchSampler sampler, Optimizer[] optimizers)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        Model = model;
        Loss = loss;
        Miner = miner;
        Sampler = sampler;
        _optimizers = optimizers;
        Optimizers = _optimizers.AsReadOnly();
    }

    /// <summary>The network.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>The loss.</summary>
    public MetricLoss Loss { get; }

    /// <summary>The miner, if any.</summary>
    public Miner? Miner { get; }

    /// <summary>The optimizer over the model's and the loss's parameters.</summary>
    public Optimizer Optimizer => _optimizers[0];

    /// <summary>All optimizers, stepped in order (currently the one <see cref="Optimizer"/>; per-part learning rates use <see cref="ParameterGroups"/>).</summary>
    public IReadOnlyList<Optimizer> Optimizers { get; }

    /// <summary>The batch sampler.</summary>
    public BatchSampler Sampler { get; }

    /// <summary>At most this many iterations per epoch (null: the sampler's <see cref="BatchSampler.BatchesPerEpoch"/>).
    /// A capped epoch ends early; the next one starts at the sampler's next epoch.</summary>
    public int? IterationsPerEpoch { get; init; }

    /// <summary>Items per forward pass when embedding for evaluation.</summary>
    public int EvaluationBatchSize { get; init; } = 256;

    /// <summary>Ks of Recall@K in validation metrics.</summary>
    public IReadOnlyList<int> RecallKs { get; init; } = RetrievalMetrics.DefaultKs;

    /// <summary>Distance used to rank neighbours in validation.</summary>
    public KnnMetric EvaluationMetric { get; init; } = KnnMetric.Euclidean;

    /// <summary>
    /// Builds one learning-rate scheduler per optimizer (null: constant learning rates), e.g.
    /// <c>o =&gt; new CosineAnnealingLR(o, tMax: epochs)</c>. Called once, before the first step (or on resume).
    /// </summary>
    public Func<Optimizer, LrScheduler>? SchedulerFactory { get; init; }

    /// <summary>Whether the schedulers step once per epoch (default) or after every iteration; the schedule's step counts must match.</summary>
    public SchedulerInterval SchedulerInterval { get; init; } = SchedulerInterval.Epoch;

    /// <summary>When set, the joint L2 norm of all gradients is clipped to this value before each optimizer step.</summary>
    public float? ClipGradNorm { get; init; }

    /// <summary>Evaluate on the validation set every this many epochs (and never when <see cref="Fit"/> gets none). Default 1.</summary>
    public int EvaluateEvery { get; init; } = 1;

    /// <summary>
    /// Early stopping: training stops after this many consecutive evaluations without improving
    /// <see cref="SelectionMetric"/> (counted in evaluations, not epochs). Null never stops early.
    /// </summary>
    public int? Patience { get; init; }

    /// <summary>
    /// When true (and <see cref="Fit"/> gets a validation set), the model is also evaluated before the first epoch and
    /// kept as the best model of epoch 0, so a trained epoch is only selected (and <see cref="RestoreBestModel"/> only
    /// returns trained weights) when it beats the starting point on validation. That evaluation calls
    /// <see cref="ITrainerCallbacks.OnEvaluation"/> with epoch 0 but adds no <see cref="History"/> entry. Default false.
    /// </summary>
    public bool EvaluateInitialModel { get; init; }

    /// <summary>The validation metric that selects the best model and drives early stopping (higher is better). Default MAP@R.</summary>
    public SelectionMetric SelectionMetric { get; init; } = SelectionMetric.MapAtR;

    /// <summary>User hooks called during <see cref="Fit"/>.</summary>
    public ITrainerCallbacks? Callbacks { get; init; }

    /// <summary>
    /// When set, <see cref="Fit"/> creates the directory and writes, every epoch, <see cref="RunDirectory.LastCheckpointFile"/>,
    /// <see cref="RunDirectory.BestCheckpointFile"/> (when validation improved), <see cref="RunDirectory.MetricsFile"/>, and at
    /// the end <see cref="RunDirectory.FinalWeightsFile"/> (and <see cref="RunDirectory.BestWeightsFile"/>); every file atomically.
    /// </summary>
    public string? RunDirectory { get; init; }

    /// <summary>
    /// Training batches read ahead of the step on a worker thread (decoding and augmentation included), so the step
    /// does not wait for data; 0 reads each batch on the training thread when it is needed. Values are unchanged
    /// either way (each batch is a pure function of its indices and step), so resumed runs stay bit-identical. While
    /// an epoch runs, <see cref="Sampler"/> is this many batches ahead of the step. Default 2.
    /// </summary>
    public int PrefetchDepth { get; init; } = 2;

    /// <summary>Further generators to save in checkpoints (e.g. a data-augmentation generator), by a stable name.</summary>
    public IReadOnlyDictionary<string, Prng>? RandomSources { get; init; }

    /// <summary>Completed epochs (restored by <see cref="Resume(string)"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimisation steps taken by <see cref="Fit"/> since the start of the run.</summary>
    public long Iteration { get; private set; }

    /// <summary>Every completed epoch's result, including those restored from a checkpoint.</summary>
    public IReadOnlyList<EpochResult> History => _history;

    /// <summary>Whether early stopping ended training; later <see cref="Fit"/> calls then return at once.</summary>
    public bool StoppedEarly => EarlyStopping.Stopped;

    /// <summary>The epoch whose model is kept as the best (0 before any validation, or when the initial model is kept; see <see cref="EvaluateInitialModel"/>).</summary>
    public int BestEpoch => Selection.BestEpoch;

    /// <summary>The best value of <see cref="SelectionMetric"/> so far (NaN before any validation).</summary>
    public double BestValue => Selection.BestValue;

    /// <summary>A copy of the model's state dict at <see cref="BestEpoch"/> (null before any validation).</summary>
    public IReadOnlyDictionary<string, Tensor>? BestModelState => Selection.BestState;

    /// <summary>The schedulers (one per optimizer; empty without <see cref="SchedulerFactory"/>).</summary>
    public IReadOnlyList<LrScheduler> Schedulers => EnsureSchedulers();

    /// <summary>
    /// Parameter groups of <paramref name="model"/>'s trunk, embedder and <paramref name="loss"/>'s parameters, each with
    /// its own learning rate (null: the optimizer's default), for one optimizer with per-part learning rates.
    /// Parts without parameters are left out.
    /// </summary>
    public static IReadOnlyList<ParamGroup> ParameterGroups(EmbeddingModel model, MetricLoss loss, float? trunkLr = null, float? embedderLr = null, float? lossLr = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        var groups = new List<ParamGroup>(3);
        void Add(IEnumerable<Tensor> parameters, float? lr)
        {
            var list = parameters.ToArray();
            if (list.Length > 0)
            {
                groups.Add(new ParamGroup(list) { LearningRate = lr });
            }
        }
        Add(model.Trunk.Parameters(), trunkLr);
        Add(model.Embedder.Parameters(), embedderLr);
        Add(loss.Parameters(), lossLr);
        return groups;
    }

    /// <summary>
    /// Trains until <paramref name="epochs"/> epochs are complete in total (a resumed trainer continues from
    /// <see cref="Epoch"/>), evaluating on <paramref name="validation"/> every <see cref="EvaluateEvery"/> epochs,
    /// keeping the best model and stopping early after <see cref="Patience"/> evaluations without improvement.
    /// </summary>
    /// <param name="train">Training data; the sampler's indices refer to it. Batches are read as
    /// <see cref="BatchRequest.Training"/> with the sampler position before the batch as the step, so the dataset's own
    /// augmentation (e.g. <see cref="ImageDataset.WithAugmenter"/>) is reproducible and a resumed run reads exactly
    /// the batches of an uninterrupted one.</param>
    /// <param name="epochs">Total number of epochs of the run (positive).</param>
    /// <param name="validation">Optional validation set (leave-one-out retrieval metrics); take it from the training
    /// classes (<see cref="ValidationSplit"/>), never from the test classes.</param>
    /// <param name="progress">Receives a report after every iteration and at the end of each epoch.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns>The whole history (<see cref="History"/>).</returns>
    public IReadOnlyList<EpochResult> Fit(IDataset train, int epochs, IDataset? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        if (IterationsPerEpoch is <= 0)
        {
            throw new InvalidOperationException($"IterationsPerEpoch must be positive (or null), got {IterationsPerEpoch}.");
        }
        if (PrefetchDepth < 0)
        {
            throw new InvalidOperationException($"PrefetchDepth must be zero or positive, got {PrefetchDepth}.");
        }
        if (EvaluateEvery <= 0)
        {
            throw new InvalidOperationException($"EvaluateEvery must be positive, got {EvaluateEvery}.");
        }
        if (Patience is <= 0)
        {
            throw new InvalidOperationException($"Patience must be positive (or null), got {Patience}.");
        }
        if (ClipGradNorm is float c && !(c > 0 && float.IsFinite(c)))
        {
            throw new InvalidOperationException($"ClipGradNorm must be positive and finite (or null), got {c}.");
        }
        var schedulers = EnsureSchedulers();
        // Built-in callbacks first: early stopping has counted an evaluation, and the run directory holds an epoch,
        // before the user's callbacks hear of it.
        List<ITrainerCallbacks> callbacks = [EarlyStopping];
        if (RunDirectory is not null)
        {
            callbacks.Add(new RunDirectoryWriter(RunDirectory));
        }
        if (Callbacks is not null)
        {
            callbacks.Add(Callbacks);
        }
        int iterations = Math.Min(IterationsPerEpoch ?? int.MaxValue, Sampler.BatchesPerEpoch);
        if (EvaluateInitialModel && validation is not null && Epoch == 0 && Selection.BestState is null)
        {
            var initial = Evaluate(validation);
            bool kept = Selection.Update(initial, 0, Model);
            foreach (var callback in callbacks)
            {
                callback.OnEvaluation(this, 0, initial, kept);
            }
        }
        for (int epoch = Epoch + 1; epoch <= epochs && !StoppedEarly; epoch++)
        {
            Model.Train();
            Loss.Train();
            double lossSum = 0, tupleSum = 0, stepSeconds = 0;
            long samples = 0;
            float lr = Optimizer.LearningRate;
            double dataWaitSeconds;
            var wall = Stopwatch.StartNew();
            using (var loader = new BatchLoader(train, Sampler, iterations, PrefetchDepth))
            {
                for (int it = 1; it <= iterations; it++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var batch = loader.Next();
                    long t0 = Stopwatch.GetTimestamp();
                    lr = Optimizer.LearningRate;
                    var (loss, tuples) = Step(batch.Inputs, batch.Labels);
                    Iteration++;
                    if (SchedulerInterval == SchedulerInterval.Iteration)
                    {
                        StepAll(schedulers);
                    }
                    stepSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    samples += batch.Labels.Length;
                    lossSum += loss;
                    tupleSum += tuples ?? 0;
                    if (progress is not null || Callbacks is not null)
                    {
                        var report = new TrainingProgress(epoch, epochs, it, iterations, loss, tuples, samples / Math.Max(stepSeconds, 1e-9))
                        {
                            LearningRate = lr,
                            DataWaitSeconds = loader.WaitSeconds,
                        };
                        progress?.Report(report);
                        Callbacks?.OnIterationEnd(this, report);
                    }
                }
                dataWaitSeconds = loader.WaitSeconds;
            }
            Sampler.SkipToEpochEnd();
            if (SchedulerInterval == SchedulerInterval.Epoch)
            {
                StepAll(schedulers);
            }
            Epoch = epoch;
            double trainSeconds = wall.Elapsed.TotalSeconds;

            Metrics? metrics = null;
            double validationSeconds = 0;
            bool improved = false;
            if (validation is not null && epoch % EvaluateEvery == 0)
            {
                long v0 = Stopwatch.GetTimestamp();
                metrics = Evaluate(validation);
                validationSeconds = Stopwatch.GetElapsedTime(v0).TotalSeconds;
                improved = Selection.Update(metrics, epoch, Model);
                foreach (var callback in callbacks)
                {
                    callback.OnEvaluation(this, epoch, metrics, improved);
                }
            }
            var result = new EpochResult(epoch, iterations, lossSum / iterations, Miner is null ? null : tupleSum / iterations,
                samples / Math.Max(stepSeconds, 1e-9), trainSeconds, metrics, validationSeconds)
            {
                Iteration = Iteration,
                LearningRate = lr,
                IsBest = improved,
                DataWaitSeconds = dataWaitSeconds,
            };
            _history.Add(result);
            foreach (var callback in callbacks)
            {
                callback.OnEpochEnd(this, result);
            }
            progress?.Report(new TrainingProgress(epoch, epochs, iterations, iterations, (float)result.MeanLoss,
                Miner is null ? null : (int)Math.Round(tupleSum / iterations), result.SamplesPerSecond) { EpochEnd = result, LearningRate = lr, DataWaitSeconds = dataWaitSeconds });
        }
        foreach (var callback in callbacks)
        {
            callback.OnTrainingEnd(this);
        }
        return History;
    }

    /// <summary>
    /// One optimisation step on a batch, inside a <see cref="TensorScope"/> so the step's buffers are recycled
    /// (nothing computed here outlives it; the loss value is read inside). Clips the gradient norm when
    /// <see cref="ClipGradNorm"/> is set. Does not advance schedulers or <see cref="Iteration"/> (<see cref="Fit"/> does).
    /// Parameter gradients are written into the previous step's gradient storage (<c>ZeroGrad(reuseStorage: true)</c>), so
    /// a <see cref="Tensor.Grad"/> read in a callback is overwritten by the next step; clone it to keep it.
    /// </summary>
    /// <param name="inputs">Batch inputs.</param>
    /// <param name="labels">Batch labels.</param>
    /// <returns>The batch loss and the number of mined tuples (null without a miner).</returns>
    public (float Loss, int? MinedTuples) Step(Tensor inputs, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        using (TensorScope.Enter())
        {
            foreach (var o in _optimizers)
            {
                o.ZeroGrad(reuseStorage: true);
            }
            var embeddings = Model.Forward(inputs);
            MinedTuples? tuples = Miner?.Mine(embeddings, labels);
            var loss = Loss.Compute(embeddings, labels, tuples);
            float value = loss.Item();
            if (loss.RequiresGrad)
            {
                loss.Backward();
                if (ClipGradNorm is float maxNorm)
                {
                    GradientClipping.ClipGradNorm(AllOptimizedParameters(), maxNorm);
                }
                foreach (var o in _optimizers)
                {
                    o.Step();
                }
            }
            return (value, tuples?.Count);
        }
    }

    /// <summary>Embeddings of <paramref name="data"/> (evaluation mode, no gradients).</summary>
    public Tensor Embed(IDataset data) => Model.Embed(data, EvaluationBatchSize);

    /// <summary>Leave-one-out retrieval metrics of the model on <paramref name="data"/>.</summary>
    public Metrics Evaluate(IDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return RetrievalMetrics.Compute(Embed(data), data.Labels, RecallKs, EvaluationMetric);
    }

    /// <summary>Copies the kept best model state (<see cref="BestModelState"/>) into the model.</summary>
    /// <returns>False (and nothing changes) when no validation has run.</returns>
    public bool RestoreBestModel()
    {
        if (Selection.BestState is not { } best)
        {
            return false;
        }
        Model.LoadStateDict(best);
        return true;
    }

    /// <summary>A snapshot of the whole training state (see <see cref="Checkpoint"/>).</summary>
    public Checkpoint CreateCheckpoint() => CheckpointCodec.Encode(this);

    /// <summary>Writes <see cref="CreateCheckpoint"/> to <paramref name="path"/> atomically.</summary>
    public void SaveCheckpoint(string path) => CreateCheckpoint().Save(path);

    /// <summary>
    /// Restores the training state from a checkpoint file, or from a run directory (its
    /// <see cref="RunDirectory.LastCheckpointFile"/>). The trainer must be built like the one that saved it (same
    /// model, loss, miner, optimizers, schedulers, sampler and seeds); then <see cref="Fit"/> continues exactly.
    /// </summary>
    /// <exception cref="FileNotFoundException">No checkpoint at the path.</exception>
    /// <exception cref="Tensors.IO.SafetensorsFormatException">The file is corrupt or truncated.</exception>
    /// <exception cref="InvalidDataException">The checkpoint does not match this trainer (the message says what); nothing was changed.</exception>
    public void Resume(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, DeepMetric.Training.RunDirectory.LastCheckpointFile);
        }
        try
        {
            Resume(Checkpoint.Load(path));
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith('\''))
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Restores the training state from <paramref name="checkpoint"/> (see <see cref="Resume(string)"/>).</summary>
    /// <exception cref="InvalidDataException">The checkpoint does not match this trainer; nothing was changed.</exception>
    public void Resume(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        EnsureSchedulers();
        CheckpointCodec.Decode(checkpoint, this);
    }

    /// <summary>Model selection on validation (created on first use, after the init-only properties are set).</summary>
    internal ModelSelection Selection => _selection ??= new ModelSelection(SelectionMetric);

    /// <summary>The early-stopping callback and its state.</summary>
    internal EarlyStopping EarlyStopping => _earlyStopping ??= new EarlyStopping(Patience);

    /// <summary>Sets the counters and history read from a checkpoint.</summary>
    internal void RestoreRun(int epoch, long iteration, IEnumerable<EpochResult> history)
    {
        Epoch = epoch;
        Iteration = iteration;
        _history.Clear();
        _history.AddRange(history);
    }

    /// <summary>Every generator that advances during training, by a stable name; a generator shared by several components once.</summary>
    internal IReadOnlyList<(string Name, Prng Rng)> CollectRandomSources()
    {
        var walker = new RandomSourceWalker();
        walker.Visit("model", Model);
        walker.Visit("loss", Loss);
        walker.Visit("miner", Miner);
        if (RandomSources is not null)
        {
            foreach (var (name, rng) in RandomSources.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                ArgumentNullException.ThrowIfNull(rng, nameof(RandomSources));
                walker.Add("user." + name, rng);
            }
        }
        return walker.Sources;
    }

    private LrScheduler[] EnsureSchedulers()
    {
        if (_schedulers is null)
        {
            var list = new LrScheduler[SchedulerFactory is null ? 0 : _optimizers.Length];
            for (int k = 0; k < list.Length; k++)
            {
                list[k] = SchedulerFactory!(_optimizers[k])
                    ?? throw new InvalidOperationException("The scheduler factory returned null.");
                if (!ReferenceEquals(list[k].Optimizer, _optimizers[k]))
                {
                    throw new InvalidOperationException($"The scheduler factory must schedule the optimizer it is given (optimizer {k}).");
                }
            }
            _schedulers = list;
        }
        return _schedulers;
    }

    private static void StepAll(LrScheduler[] schedulers)
    {
        foreach (var s in schedulers)
        {
            s.Step();
        }
    }

    private IEnumerable<Tensor> AllOptimizedParameters()
    {
        foreach (var o in _optimizers)
        {
            foreach (var g in o.ParamGroups)
            {
                foreach (var p in g.Parameters)
                {
                    yield return p;
                }
            }
        }
    }

    private static Optimizer[] CreateOptimizer(EmbeddingModel model, MetricLoss loss, Func<IReadOnlyList<Tensor>, Optimizer>? factory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        var parameters = model.Parameters().Concat(loss.Parameters()).ToArray();
        return [factory is null ? new Adam(parameters, lr: 1e-3f) : factory(parameters)
            ?? throw new ArgumentException("The optimizer factory returned null.", nameof(factory))];
    }
}

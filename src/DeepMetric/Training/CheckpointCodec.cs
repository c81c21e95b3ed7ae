using System.Globalization;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Optim;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Training;

/// <summary>
/// Turns a <see cref="Trainer"/>'s whole state into a <see cref="Checkpoint"/> and back. Tensors: <c>model.*</c>,
/// <c>loss.*</c>, <c>best.model.*</c>, <c>optimizer.K.*</c>. Metadata: epoch, iteration, optimizer and scheduler
/// counts and scalars (<c>optimizer.K.*</c>, <c>lr.K.*</c>), the sampler's identity and position, the selection
/// metric, best epoch and value, the early-stopping state, the metrics history (JSON) and every generator state
/// (<c>rng.NAME</c>). Decoding checks everything against the trainer before it changes anything.
/// </summary>
internal static class CheckpointCodec
{
    /// <summary>A snapshot of <paramref name="trainer"/>'s state (tensors are copies, except the kept best model's, which never change).</summary>
    public static Checkpoint Encode(Trainer trainer)
    {
        var optimizers = trainer.Optimizers;
        var schedulers = trainer.Schedulers;
        var sampler = trainer.Sampler;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = Checkpoint.FormatVersion,
            ["epoch"] = Str(trainer.Epoch),
            ["iteration"] = Str(trainer.Iteration),
            ["optimizer_count"] = Str(optimizers.Count),
            ["scheduler_count"] = Str(schedulers.Count),
            ["sampler.type"] = sampler.GetType().Name,
            ["sampler.seed"] = Str(sampler.Seed),
            ["sampler.batch_size"] = Str(sampler.BatchSize),
            ["sampler.batches_per_epoch"] = Str(sampler.BatchesPerEpoch),
            ["sampler.position"] = Str(sampler.Position),
            ["selection_metric"] = trainer.SelectionMetric.ToString(),
            ["best.epoch"] = Str(trainer.BestEpoch),
            ["best.value"] = trainer.BestValue.ToString("R", CultureInfo.InvariantCulture),
            ["early_stopping.bad_evaluations"] = Str(trainer.EarlyStopping.BadEvaluations),
            ["early_stopping.stopped"] = trainer.StoppedEarly ? "true" : "false",
            ["history"] = MetricsHistoryJson.Array(trainer.History),
        };
        foreach (var (name, t) in trainer.Model.StateDict())
        {
            tensors["model." + name] = t.Clone();
        }
        foreach (var (name, t) in trainer.Loss.StateDict())
        {
            tensors["loss." + name] = t.Clone();
        }
        if (trainer.BestModelState is { } best)
        {
            foreach (var (name, t) in best)
            {
                tensors["best.model." + name] = t;
            }
        }
        for (int k = 0; k < optimizers.Count; k++)
        {
            var state = optimizers[k].StateDict();
            foreach (var (name, t) in state.Tensors)
            {
                tensors[$"optimizer.{Str(k)}.{name}"] = t;
            }
            foreach (var (key, value) in state.Metadata)
            {
                meta[$"optimizer.{Str(k)}.{key}"] = value;
            }
        }
        for (int k = 0; k < schedulers.Count; k++)
        {
            foreach (var (key, value) in schedulers[k].StateDict())
            {
                meta[$"lr.{Str(k)}.{key}"] = value;
            }
        }
        foreach (var (name, rng) in trainer.CollectRandomSources())
        {
            meta["rng." + name] = rng.GetState().ToText();
        }
        return new Checkpoint(tensors, meta);
    }

    /// <summary>
    /// Restores <paramref name="trainer"/> from <paramref name="checkpoint"/>: model, loss, optimizers, schedulers,
    /// generators and sampler position, then the trainer's own counters, history, best model and early-stopping state.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint does not match the trainer (the message says what); nothing was changed.</exception>
    public static void Decode(Checkpoint checkpoint, Trainer trainer)
    {
        var meta = checkpoint.Metadata;
        var optimizers = trainer.Optimizers;
        var schedulers = trainer.Schedulers;
        var sampler = trainer.Sampler;
        try
        {
            // Validate everything that can be checked without changing state.
            Expect(meta, "optimizer_count", Str(optimizers.Count), "optimizers");
            Expect(meta, "scheduler_count", Str(schedulers.Count), "learning-rate schedulers");
            Expect(meta, "sampler.type", sampler.GetType().Name, "sampler type");
            Expect(meta, "sampler.seed", Str(sampler.Seed), "sampler seed");
            Expect(meta, "sampler.batch_size", Str(sampler.BatchSize), "batch size");
            Expect(meta, "sampler.batches_per_epoch", Str(sampler.BatchesPerEpoch), "batches per sampler epoch (dataset size)");
            Expect(meta, "selection_metric", trainer.SelectionMetric.ToString(), "selection metric");
            int epoch = ParseInt(meta, "epoch");
            long iteration = ParseLong(meta, "iteration");
            long position = ParseLong(meta, "sampler.position");
            int bestEpoch = ParseInt(meta, "best.epoch");
            int bad = ParseInt(meta, "early_stopping.bad_evaluations");
            bool stopped = Required(meta, "early_stopping.stopped") == "true";
            if (!double.TryParse(Required(meta, "best.value"), NumberStyles.Float, CultureInfo.InvariantCulture, out double bestValue))
            {
                throw new InvalidDataException("the entry 'best.value' is not a number.");
            }
            List<EpochResult> history;
            try
            {
                history = MetricsHistoryJson.Parse(Required(meta, "history"));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException(e.Message, e);
            }

            var rngStates = new List<(Prng Rng, PrngState State)>();
            var expectedRngKeys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, rng) in trainer.CollectRandomSources())
            {
                expectedRngKeys.Add("rng." + name);
                rngStates.Add((rng, ParseRng(Required(meta, "rng." + name), name)));
            }
            foreach (var key in meta.Keys)
            {
                if (key.StartsWith("rng.", StringComparison.Ordinal) && !expectedRngKeys.Contains(key))
                {
                    throw new InvalidDataException($"the checkpoint has generator state '{key}' but this trainer has no such random source (different model, loss or miner?).");
                }
            }

            var modelState = Section(checkpoint.Tensors, "model.");
            var lossState = Section(checkpoint.Tensors, "loss.");
            var bestState = Section(checkpoint.Tensors, "best.model.");
            CheckStateDict(trainer.Model, modelState, "model");
            CheckStateDict(trainer.Loss, lossState, "loss");
            if (bestState.Count > 0)
            {
                CheckStateDict(trainer.Model, bestState, "best model");
            }
            var optimizerStates = new OptimizerState[optimizers.Count];
            for (int k = 0; k < optimizers.Count; k++)
            {
                string prefix = $"optimizer.{Str(k)}.";
                optimizerStates[k] = new OptimizerState(Section(checkpoint.Tensors, prefix), MetadataSection(meta, prefix));
            }

            // Apply. Optimizer and scheduler loads validate before changing anything; an optimizer mismatch is the
            // likeliest failure, so they go first, before the model is touched.
            var savedOptimizers = new OptimizerState[optimizers.Count];
            for (int k = 0; k < optimizers.Count; k++)
            {
                savedOptimizers[k] = optimizers[k].StateDict();
                try
                {
                    optimizers[k].LoadStateDict(optimizerStates[k]);
                }
                catch (ArgumentException e)
                {
                    for (int j = 0; j < k; j++)
                    {
                        optimizers[j].LoadStateDict(savedOptimizers[j]);
                    }
                    throw new InvalidDataException($"optimizer {k} does not match: {e.Message}", e);
                }
            }
            for (int k = 0; k < schedulers.Count; k++)
            {
                try
                {
                    schedulers[k].LoadStateDict(MetadataSection(meta, $"lr.{Str(k)}."));
                }
                catch (ArgumentException e)
                {
                    for (int j = 0; j < optimizers.Count; j++)
                    {
                        optimizers[j].LoadStateDict(savedOptimizers[j]);
                    }
                    throw new InvalidDataException($"learning-rate scheduler {k} does not match: {e.Message}", e);
                }
            }
            trainer.Model.LoadStateDict(modelState);
            trainer.Loss.LoadStateDict(lossState);
            foreach (var (rng, state) in rngStates)
            {
                rng.SetState(state);
            }
            sampler.Seek(position);
            trainer.RestoreRun(epoch, iteration, history);
            trainer.Selection.Restore(bestValue, bestEpoch, bestState.Count > 0 ? ToOrdered(bestState) : null);
            trainer.EarlyStopping.Restore(bad, stopped);
        }
        catch (KeyNotFoundException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static void CheckStateDict(Module module, Dictionary<string, Tensor> state, string what)
    {
        var own = module.StateDict();
        var problems = new List<string>();
        foreach (var (name, t) in own)
        {
            if (!state.TryGetValue(name, out var saved))
            {
                problems.Add($"'{name}' missing");
            }
            else if (!saved.Shape.SequenceEqual(t.Shape))
            {
                problems.Add($"'{name}' has shape [{string.Join(", ", saved.Shape)}] in the checkpoint but [{string.Join(", ", t.Shape)}] here");
            }
        }
        foreach (var name in state.Keys)
        {
            if (!own.ContainsKey(name))
            {
                problems.Add($"'{name}' unexpected");
            }
        }
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"the {what} state does not match this trainer's {what}: {string.Join("; ", problems)}.");
        }
    }

    private static Dictionary<string, Tensor> Section(IReadOnlyDictionary<string, Tensor> tensors, string prefix)
    {
        var section = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                section[name[prefix.Length..]] = t;
            }
        }
        return section;
    }

    private static Dictionary<string, string> MetadataSection(IReadOnlyDictionary<string, string> meta, string prefix)
    {
        var section = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in meta)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                section[key[prefix.Length..]] = value;
            }
        }
        return section;
    }

    private static OrderedDictionary<string, Tensor> ToOrdered(Dictionary<string, Tensor> d)
    {
        var o = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in d)
        {
            o.Add(k, v);
        }
        return o;
    }

    // PrngState owns the text encoding; the codec only adds which generator a bad entry belongs to.
    private static PrngState ParseRng(string text, string name)
    {
        try
        {
            return PrngState.ParseText(text);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"the state of generator '{name}' is malformed: {e.Message}", e);
        }
    }

    private static string Required(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out string? v) ? v : throw new InvalidDataException($"the checkpoint has no '{key}' entry.");

    private static void Expect(IReadOnlyDictionary<string, string> meta, string key, string expected, string what)
    {
        string saved = Required(meta, key);
        if (saved != expected)
        {
            throw new InvalidDataException($"the checkpoint's {what} is '{saved}' but this trainer's is '{expected}'.");
        }
    }

    private static int ParseInt(IReadOnlyDictionary<string, string> meta, string key) =>
        int.TryParse(Required(meta, key), NumberStyles.None, CultureInfo.InvariantCulture, out int v)
            ? v : throw new InvalidDataException($"the entry '{key}' is not a non-negative integer.");

    private static long ParseLong(IReadOnlyDictionary<string, string> meta, string key) =>
        long.TryParse(Required(meta, key), NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v : throw new InvalidDataException($"the entry '{key}' is not a non-negative integer.");

    private static string Str(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Str(ulong v) => v.ToString(CultureInfo.InvariantCulture);
}

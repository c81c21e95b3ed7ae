using System.Diagnostics;
using DeepMetric.Data;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Optim;

namespace DeepMetric;

/// <summary>
/// Trains an <see cref="EmbeddingModel"/> with a metric loss: per iteration it draws a batch from the sampler,
/// embeds it, optionally mines tuples, computes the loss, back-propagates and steps the optimizer, which covers the
/// model's parameters and the loss's own (proxies, centres, …). Progress goes to an
/// <see cref="IProgress{T}"/>; the library never writes to the console.
/// </summary>
public sealed class Trainer
{
    /// <summary>Creates a trainer.</summary>
    /// <param name="model">The network.</param>
    /// <param name="loss">The metric loss.</param>
    /// <param name="miner">Optional miner whose tuples are passed to the loss.</param>
    /// <param name="optimizer">
    /// Builds the optimizer from the trainable parameters (model then loss), e.g. <c>p =&gt; new Adam(p, lr: 1e-3f)</c>;
    /// null uses Adam with learning rate 1e-3.
    /// </param>
    /// <param name="sampler">Chooses the training batches (indices into the training set given to <see cref="Fit"/>).</param>
    public Trainer(EmbeddingModel model, MetricLoss loss, Miner? miner, Func<IReadOnlyList<Tensor>, Optimizer>? optimizer, BatchSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(sampler);
        Model = model;
        Loss = loss;
        Miner = miner;
        Sampler = sampler;
        var parameters = model.Parameters().Concat(loss.Parameters()).ToArray();
        Optimizer = optimizer is null ? new Adam(parameters, lr: 1e-3f) : optimizer(parameters)
            ?? throw new ArgumentException("The optimizer factory returned null.", nameof(optimizer));
    }

    /// <summary>The network.</summary>
    public EmbeddingModel Model { get; }

    /// <summary>The loss.</summary>
    public MetricLoss Loss { get; }

    /// <summary>The miner, if any.</summary>
    public Miner? Miner { get; }

    /// <summary>The optimizer over the model's and the loss's parameters.</summary>
    public Optimizer Optimizer { get; }

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

    /// <summary>Trains for <paramref name="epochs"/> epochs, evaluating on <paramref name="validation"/> after each.</summary>
    /// <param name="train">Training images; the sampler's indices refer to it.</param>
    /// <param name="epochs">Number of epochs (positive).</param>
    /// <param name="validation">Optional evaluation set (leave-one-out retrieval metrics).</param>
    /// <param name="progress">Receives a report after every iteration and at the end of each epoch.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns>One result per completed epoch.</returns>
    public IReadOnlyList<EpochResult> Fit(ImageDataset train, int epochs, ImageDataset? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        if (IterationsPerEpoch is <= 0)
        {
            throw new InvalidOperationException($"IterationsPerEpoch must be positive (or null), got {IterationsPerEpoch}.");
        }
        int iterations = Math.Min(IterationsPerEpoch ?? int.MaxValue, Sampler.BatchesPerEpoch);
        var results = new List<EpochResult>(epochs);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            Model.Train();
            Loss.Train();
            double lossSum = 0, tupleSum = 0, stepSeconds = 0;
            long samples = 0;
            var wall = Stopwatch.StartNew();
            for (int it = 1; it <= iterations; it++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var indices = Sampler.NextBatch();
                var (images, batchLabels) = train.Batch(indices);
                long t0 = Stopwatch.GetTimestamp();
                var (loss, tuples) = Step(images, batchLabels);
                stepSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                samples += indices.Length;
                lossSum += loss;
                tupleSum += tuples ?? 0;
                progress?.Report(new TrainingProgress(epoch, epochs, it, iterations, loss, tuples, samples / Math.Max(stepSeconds, 1e-9)));
            }
            Sampler.SkipToEpochEnd();
            double trainSeconds = wall.Elapsed.TotalSeconds;

            Metrics? metrics = null;
            double validationSeconds = 0;
            if (validation is not null)
            {
                long v0 = Stopwatch.GetTimestamp();
                metrics = Evaluate(validation);
                validationSeconds = Stopwatch.GetElapsedTime(v0).TotalSeconds;
            }
            var result = new EpochResult(epoch, iterations, lossSum / iterations, Miner is null ? null : tupleSum / iterations,
                samples / Math.Max(stepSeconds, 1e-9), trainSeconds, metrics, validationSeconds);
            results.Add(result);
            progress?.Report(new TrainingProgress(epoch, epochs, iterations, iterations, (float)result.MeanLoss,
                Miner is null ? null : (int)Math.Round(tupleSum / iterations), result.SamplesPerSecond) { EpochEnd = result });
        }
        return results;
    }

    /// <summary>One optimisation step on a batch.</summary>
    /// <param name="inputs">Batch inputs.</param>
    /// <param name="labels">Batch labels.</param>
    /// <returns>The batch loss and the number of mined tuples (null without a miner).</returns>
    public (float Loss, int? MinedTuples) Step(Tensor inputs, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        Optimizer.ZeroGrad();
        var embeddings = Model.Forward(inputs);
        MinedTuples? tuples = Miner?.Mine(embeddings, labels);
        var loss = Loss.Compute(embeddings, labels, tuples);
        float value = loss.Item();
        if (loss.RequiresGrad)
        {
            loss.Backward();
            Optimizer.Step();
        }
        return (value, tuples?.Count);
    }

    /// <summary>Embeddings of <paramref name="data"/> (evaluation mode, no gradients).</summary>
    public Tensor Embed(ImageDataset data) => Model.Embed(data, EvaluationBatchSize);

    /// <summary>Leave-one-out retrieval metrics of the model on <paramref name="data"/>.</summary>
    public Metrics Evaluate(ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return RetrievalMetrics.Compute(Embed(data), data.Labels, RecallKs, EvaluationMetric);
    }
}

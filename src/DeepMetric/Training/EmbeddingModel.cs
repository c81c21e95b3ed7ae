using DeepMetric.Data;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Training;

/// <summary>
/// An embedding network: a trunk (feature extractor) followed by an embedder head (e.g. a linear layer to the
/// embedding size and an optional L2 normalisation). Parameters are named <c>trunk.…</c> and <c>embedder.…</c>.
/// </summary>
public sealed class EmbeddingModel : Module
{
    /// <summary>Creates the model.</summary>
    /// <param name="trunk">Feature extractor.</param>
    /// <param name="embedder">Head mapping features to embeddings.</param>
    public EmbeddingModel(Module trunk, Module embedder)
    {
        ArgumentNullException.ThrowIfNull(trunk);
        ArgumentNullException.ThrowIfNull(embedder);
        Trunk = RegisterModule("trunk", trunk);
        Embedder = RegisterModule("embedder", embedder);
    }

    /// <summary>The feature extractor.</summary>
    public Module Trunk { get; }

    /// <summary>The embedding head.</summary>
    public Module Embedder { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Embedder.Forward(Trunk.Forward(x));

    /// <summary>
    /// Embeddings [N, D] of every item of <paramref name="data"/>, in order, computed in evaluation mode without
    /// gradients from evaluation reads (<see cref="BatchRequest.Evaluation"/>: no augmentation).
    /// </summary>
    /// <param name="data">The items.</param>
    /// <param name="batchSize">Items per forward pass (bounds memory).</param>
    public Tensor Embed(IDataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        return EmbedBatches(data.Count, batchSize, (start, count) =>
        {
            var indices = new int[count];
            for (int i = 0; i < count; i++)
            {
                indices[i] = start + i;
            }
            return data.Batch(indices, BatchRequest.Evaluation);
        });
    }

    /// <summary>Embeddings [N, D] of the inputs [N, …] (rows taken in order), in evaluation mode without gradients.</summary>
    /// <param name="inputs">The inputs; the first axis indexes items.</param>
    /// <param name="batchSize">Items per forward pass (bounds memory).</param>
    public Tensor Embed(Tensor inputs, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (inputs.Rank < 1)
        {
            throw new ArgumentException("The inputs must have at least one axis (items).", nameof(inputs));
        }
        return EmbedBatches(inputs.Dim(0), batchSize, (start, count) => Ops.Slice(inputs, 0, start, count));
    }

    private Tensor EmbedBatches(int n, int batchSize, Func<int, int, Tensor> batch)
    {
        bool wasTraining = IsTraining;
        Eval();
        try
        {
            using (Tensor.NoGrad())
            {
                float[]? result = null;
                int dim = 0;
                for (int start = 0; start < n; start += batchSize)
                {
                    int count = Math.Min(batchSize, n - start);
                    var e = Forward(batch(start, count));
                    if (e.Rank != 2 || e.Dim(0) != count)
                    {
                        throw new InvalidOperationException($"The model must output [batch, D] embeddings; got [{string.Join(", ", e.Shape)}].");
                    }
                    if (result is null)
                    {
                        dim = e.Dim(1);
                        result = GC.AllocateUninitializedArray<float>(checked(n * dim));
                    }
                    e.ReadOnlySpan.CopyTo(result.AsSpan(start * dim, count * dim));
                }
                return result is null ? Tensor.Zeros(0, OutputSizeOrZero()) : Tensor.Wrap(result, n, dim);
            }
        }
        finally
        {
            Train(wasTraining);
        }
    }

    // The embedding size when the head ends with a known layer, for an empty input.
    private int OutputSizeOrZero()
    {
        Module? last = Embedder;
        while (last is Sequential s && s.Count > 0)
        {
            last = s[^1];
            if (last is L2Normalize && s.Count > 1)
            {
                last = s[s.Count - 2];
            }
        }
        return last is Linear l ? l.OutFeatures : 0;
    }
}

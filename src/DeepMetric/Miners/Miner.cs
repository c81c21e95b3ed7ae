using DeepMetric.Distances;
using DeepMetric.Internal;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Miners;

/// <summary>
/// Base of the miners: chooses informative index tuples from a batch, without gradient, working on the
/// distance matrix. Every miner works with distances and similarities (it asks the distance for the direction).
/// </summary>
public abstract class Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="distance">Distance used for mining (should usually match the loss's).</param>
    protected Miner(Distance distance)
    {
        ArgumentNullException.ThrowIfNull(distance);
        Distance = distance;
    }

    /// <summary>The distance mined with.</summary>
    public Distance Distance { get; }

    /// <summary>Number of tuples the last call returned (for progress displays).</summary>
    public int LastTupleCount { get; private set; }

    /// <summary>Mines tuples from a batch (and an optional separate reference set).</summary>
    /// <param name="embeddings">Batch embeddings [N, D].</param>
    /// <param name="labels">Labels of the batch.</param>
    /// <param name="refEmbeddings">Optional reference embeddings [M, D]; positives/negatives index this set.</param>
    /// <param name="refLabels">Labels of the reference set.</param>
    public MinedTuples Mine(Tensor embeddings, int[] labels, Tensor? refEmbeddings = null, int[]? refLabels = null)
    {
        var batch = new MetricBatch(embeddings, labels, null, refEmbeddings, refLabels);
        var reference = batch.SameSet ? null : batch.Reference;
        // While training, the matrix is recorded with its graph and handed to the loss that consumes the tuples
        // (MinedMatrix), which then need not compute it again; the values are the same either way.
        bool share = NoGradScope.GradEnabled && (embeddings.RequiresGrad || (reference?.RequiresGrad ?? false));
        Tensor matrix;
        if (share)
        {
            matrix = Distance.Pairwise(embeddings, reference);
        }
        else
        {
            using (Tensor.NoGrad())
            {
                matrix = Distance.Pairwise(embeddings.Detach(), reference?.Detach());
            }
        }
        var emb = Storage(embeddings);
        var refEmb = reference is null ? emb : Storage(reference);
        var result = Mine(new MiningBatch(Storage(matrix), batch.Labels, batch.RefLabels, batch.SameSet, Distance, emb, refEmb, embeddings.Dim(1)));
        if (share)
        {
            MinedMatrix.Attach(result, Distance, embeddings, reference, matrix);
        }
        LastTupleCount = result.Count;
        return result;
    }

    // The tensor's elements without a copy (miners only read them, during Mine).
    private static ReadOnlyMemory<float> Storage(Tensor t) => t.ReadOnlyMemory;

    /// <summary>Chooses tuples given the distance matrix and labels.</summary>
    protected abstract MinedTuples Mine(MiningBatch batch);
}

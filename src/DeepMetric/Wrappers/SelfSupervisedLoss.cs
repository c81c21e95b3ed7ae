using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Wrappers;

/// <summary>
/// Turns a metric loss into a self-supervised one for two views (augmentations) of the same N items, as PyTorch
/// Metric Learning's SelfSupervisedLoss: item i of one view is the only positive of item i of the other view, all
/// other items are negatives (labels by position). The reference set of each anchor is the other view.
/// With <see cref="Symmetric"/> (default) both views are anchors in one reduction; otherwise only the first view.
/// </summary>
public sealed class SelfSupervisedLoss : Module
{
    /// <summary>Wraps a loss.</summary>
    /// <param name="loss">The loss computed with the other view as reference set (e.g. an NT-Xent or contrastive loss).</param>
    /// <param name="symmetric">Use both views as anchors.</param>
    public SelfSupervisedLoss(MetricLoss loss, bool symmetric = true)
    {
        ArgumentNullException.ThrowIfNull(loss);
        Loss = RegisterModule("loss", loss);
        Symmetric = symmetric;
    }

    /// <summary>The wrapped loss.</summary>
    public MetricLoss Loss { get; }

    /// <summary>Whether both views are anchors.</summary>
    public bool Symmetric { get; }

    /// <summary>The loss of two views [N, D] of the same items, row i of each being the same item.</summary>
    public Tensor Compute(Tensor embeddings, Tensor refEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(refEmbeddings);
        if (embeddings.Rank != 2 || !embeddings.Shape.AsSpan().SequenceEqual(refEmbeddings.Shape))
        {
            throw new ArgumentException($"The two views must be [N, D] tensors of the same shape; got [{string.Join(", ", embeddings.Shape)}] and [{string.Join(", ", refEmbeddings.Shape)}].", nameof(refEmbeddings));
        }
        int n = embeddings.Dim(0);
        if (!Symmetric)
        {
            var labels = Enumerable.Range(0, n).ToArray();
            return Loss.Compute(embeddings, labels, null, refEmbeddings, labels);
        }
        // Anchors [view 1; view 2], references [view 2; view 1]; pairs stay inside each anchor's own block so an
        // anchor is never compared with its own copy.
        var anchors = Ops.Concat([embeddings, refEmbeddings], 0);
        var refs = Ops.Concat([refEmbeddings, embeddings], 0);
        var both = new int[2 * n];
        for (int i = 0; i < 2 * n; i++)
        {
            both[i] = i % n;
        }
        var pa = new int[2 * n];
        var p = new int[2 * n];
        var na = new int[2 * n * (n - 1)];
        var ng = new int[2 * n * (n - 1)];
        int k = 0;
        for (int i = 0; i < 2 * n; i++)
        {
            int block = i < n ? 0 : n;
            pa[i] = i;
            p[i] = i;
            for (int j = 0; j < n; j++)
            {
                if (block + j != i)
                {
                    na[k] = i;
                    ng[k] = block + j;
                    k++;
                }
            }
        }
        return Loss.Compute(anchors, both, new PairTuples(pa, p, na, ng), refs, both);
    }

    /// <summary>Not supported: call <see cref="Compute"/> with both views.</summary>
    public override Tensor Forward(Tensor x) =>
        throw new NotSupportedException("SelfSupervisedLoss needs two views: call Compute(embeddings, refEmbeddings).");
}

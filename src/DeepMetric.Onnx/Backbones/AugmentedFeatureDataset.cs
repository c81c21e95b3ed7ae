using DeepMetric.Data;
using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Backbones;

/// <summary>
/// Backbone features of a fixed number of augmented views per image, precomputed so a head trains on augmented data
/// at MLP speed. An evaluation read returns the features of the plain image; a training read
/// (<see cref="BatchRequest.Training"/>) returns, for the item in slot <c>j</c> of the batch at step <c>s</c>, the
/// features of view <c>hash(seed, s, j) mod views</c> of that image, so a run and its resume read the same views.
/// </summary>
/// <remarks>View <c>v</c> of an image is the augmented dataset read at a step of its own (below zero, so it never
/// coincides with a training step); with few views the head sees a sample of the augmentation, not all of it.</remarks>
public sealed class AugmentedFeatureDataset : IDataset
{
    private readonly float[] _plain;
    private readonly float[][] _views;
    private readonly int[] _labels;
    private readonly int[] _shape;
    private readonly ulong _seed;

    private AugmentedFeatureDataset(float[] plain, float[][] views, int[] labels, int dimension, IReadOnlyList<string> classNames, ulong seed)
    {
        _plain = plain;
        _views = views;
        _labels = labels;
        _shape = [dimension];
        ClassNames = classNames;
        _seed = seed;
    }

    /// <summary>Computes the plain and <paramref name="views"/> augmented features of every image of <paramref name="augmented"/>.</summary>
    /// <param name="backbone">The (frozen) backbone.</param>
    /// <param name="augmented">Images whose training reads augment (e.g. <see cref="ImageDataset.WithAugmenter"/>).</param>
    /// <param name="views">Augmented views per image (positive).</param>
    /// <param name="seed">Seed of the view choice.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public static AugmentedFeatureDataset Extract(Backbone backbone, IDataset augmented, int views, ulong seed, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(augmented);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(views);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int n = augmented.Count, dim = backbone.FeatureDimension;
        float[] Run(Func<int, BatchRequest> request)
        {
            var features = new float[(long)n * dim];
            backbone.Trunk.Eval();
            using (Tensor.NoGrad())
            {
                for (int start = 0; start < n; start += batchSize)
                {
                    int count = Math.Min(batchSize, n - start);
                    var indices = Enumerable.Range(start, count).ToArray();
                    var batch = augmented.Batch(indices, request(start));
                    // The forward's activations go back to a pool after each batch and serve the next one.
                    using var scope = TensorScope.Enter();
                    backbone.Trunk.Forward(batch).ReadOnlySpan.CopyTo(features.AsSpan(start * dim, count * dim));
                }
            }
            return features;
        }
        var plain = Run(_ => BatchRequest.Evaluation);
        var all = new float[views][];
        for (int v = 0; v < views; v++)
        {
            long offset = -((long)(v + 1) << 32);
            all[v] = Run(start => BatchRequest.Training(offset + start));
        }
        return new AugmentedFeatureDataset(plain, all, augmented.Labels.ToArray(), dim, augmented.ClassNames, seed);
    }

    /// <summary>Augmented views per image.</summary>
    public int Views => _views.Length;

    /// <summary>Feature length.</summary>
    public int Dimension => _shape[0];

    /// <inheritdoc/>
    public int Count => _labels.Length;

    /// <inheritdoc/>
    public ReadOnlySpan<int> Labels => _labels;

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public ReadOnlySpan<int> ItemShape => _shape;

    /// <summary>The view a training read at <paramref name="step"/> takes for the item in batch slot <paramref name="slot"/>.</summary>
    public int ViewFor(long step, int slot)
    {
        ulong x = _seed ^ ((ulong)step * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)slot * 0xC2B2AE3D27D4EB4FUL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x % (ulong)_views.Length);
    }

    /// <inheritdoc/>
    public Tensor Batch(ReadOnlySpan<int> indices, BatchRequest request = default)
    {
        int dim = Dimension;
        var output = new float[(long)indices.Length * dim];
        for (int j = 0; j < indices.Length; j++)
        {
            int i = indices[j];
            if ((uint)i >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Index outside [0, {Count}).");
            }
            var source = request.Augment ? _views[ViewFor(request.Step, j)] : _plain;
            source.AsSpan(i * dim, dim).CopyTo(output.AsSpan(j * dim, dim));
        }
        return Tensor.Wrap(output, indices.Length, dim);
    }

    /// <inheritdoc/>
    public IDataset Subset(ReadOnlySpan<int> indices)
    {
        int dim = Dimension;
        var picked = indices.ToArray();
        float[] Pick(float[] from)
        {
            var to = new float[(long)picked.Length * dim];
            for (int j = 0; j < picked.Length; j++)
            {
                from.AsSpan(picked[j] * dim, dim).CopyTo(to.AsSpan(j * dim, dim));
            }
            return to;
        }
        var labels = new int[indices.Length];
        for (int j = 0; j < indices.Length; j++)
        {
            labels[j] = _labels[indices[j]];
        }
        return new AugmentedFeatureDataset(Pick(_plain), [.. _views.Select(Pick)], labels, dim, ClassNames, _seed);
    }
}

using DeepMetric.Tensors;

namespace DeepMetric.Training;

/// <summary>A training batch as <see cref="BatchLoader"/> hands it out.</summary>
/// <param name="Inputs">The dataset's training read of the batch.</param>
/// <param name="Labels">The label of each item.</param>
/// <param name="Indices">The dataset indices the sampler drew.</param>
/// <param name="Position">The sampler position before the batch (the augmentation step).</param>
internal readonly record struct LoadedBatch(Tensor Inputs, int[] Labels, int[] Indices, long Position);

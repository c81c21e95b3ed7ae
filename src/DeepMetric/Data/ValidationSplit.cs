using DeepMetric.Tensors.Random;

namespace DeepMetric.Data;

/// <summary>
/// A training set split into the part to train on and a held-out validation part over the same classes, for early
/// stopping and model selection on the training classes only — never on the test classes of an open-set split.
/// Deconstructs as <c>var (train, validation) = split;</c>.
/// </summary>
/// <param name="Train">The images to train on.</param>
/// <param name="Validation">The held-out images of the same classes.</param>
public sealed record ValidationSplit(ImageDataset Train, ImageDataset Validation)
{
    /// <summary>
    /// Holds out <paramref name="fraction"/> of the images of every class of <paramref name="data"/> (stratified,
    /// seeded): a class of n images gives round(fraction·n) to validation, clamped so that a class with at least two
    /// images keeps at least one image on each side (a single-image class stays in training). Both parts keep the
    /// original image order.
    /// </summary>
    /// <param name="data">The training set to split.</param>
    /// <param name="fraction">Share of each class held out, in (0, 1).</param>
    /// <param name="seed">Seed of the choice.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1).</exception>
    public static ValidationSplit Create(ImageDataset data, double fraction, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (train, validation) = HoldOutIndices(data.Labels, fraction, seed);
        return new ValidationSplit(data.Subset(train), data.Subset(validation));
    }

    /// <summary>The index form of <see cref="Create"/>: ascending training and validation indices into <paramref name="labels"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1).</exception>
    public static (int[] Train, int[] Validation) HoldOutIndices(ReadOnlySpan<int> labels, double fraction, ulong seed = 0)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The held-out fraction must be in (0, 1).");
        }
        var (_, members) = ShuffledCycle.GroupByLabel(labels);
        var held = new bool[labels.Length];
        var rng = new Prng(seed);
        int heldCount = 0;
        foreach (int[] member in members)
        {
            int n = member.Length;
            int take = n < 2 ? 0 : Math.Clamp((int)Math.Round(fraction * n, MidpointRounding.AwayFromZero), 1, n - 1);
            // A partial Fisher–Yates shuffle picks `take` distinct members uniformly.
            for (int j = 0; j < take; j++)
            {
                int r = j + rng.NextInt(n - j);
                (member[j], member[r]) = (member[r], member[j]);
                held[member[j]] = true;
            }
            heldCount += take;
        }
        var train = new int[labels.Length - heldCount];
        var validation = new int[heldCount];
        int t = 0;
        int v = 0;
        for (int i = 0; i < held.Length; i++)
        {
            if (held[i])
            {
                validation[v++] = i;
            }
            else
            {
                train[t++] = i;
            }
        }
        return (train, validation);
    }
}

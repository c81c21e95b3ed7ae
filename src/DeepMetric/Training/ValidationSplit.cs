using DeepMetric.Data;
using DeepMetric.Internal;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Training;

/// <summary>
/// Splits a training set into a training part and a validation part for model selection and early stopping.
/// Validation data always comes from the TRAINING set: selecting a model on the test classes would leak them into
/// the result.
/// </summary>
public static class ValidationSplit
{
    /// <summary>Splits <paramref name="train"/> deterministically.</summary>
    /// <remarks>
    /// <see cref="ValidationHoldout.Samples"/>: in every class, round(fraction · count) samples chosen by a seeded
    /// shuffle go to validation, but at least one and at most count − 1 when the class has two or more samples (a
    /// singleton class stays in training), so both parts keep every class.
    /// <see cref="ValidationHoldout.Classes"/>: round(fraction · classes) whole classes chosen by a seeded shuffle
    /// go to validation, at least two (leave-one-out retrieval on a single class is trivially perfect) and at least
    /// one class stays in training. Indices keep their original order in both parts.
    /// </remarks>
    /// <param name="train">The training set.</param>
    /// <param name="fraction">Fraction held out, in (0, 1).</param>
    /// <param name="seed">Seed of the choice.</param>
    /// <param name="holdout">Hold out samples of every class or whole classes.</param>
    /// <returns>The remaining training set and the validation set.</returns>
    /// <exception cref="ArgumentException">The fraction is out of range, or there are too few classes to hold some out.</exception>
    public static (IDataset Train, IDataset Validation) Split(IDataset train, double fraction, ulong seed = 0,
        ValidationHoldout holdout = ValidationHoldout.Samples)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must lie strictly between 0 and 1.");
        }
        var labels = train.Labels;
        var byClass = LabelGroups.ByClass(labels);
        var rng = new Prng(seed);
        var toValidation = new bool[labels.Length];
        if (holdout == ValidationHoldout.Samples)
        {
            foreach (var members in byClass.Values)
            {
                if (members.Count < 2)
                {
                    continue;
                }
                var order = members.ToArray();
                rng.Shuffle(order.AsSpan());
                int take = Math.Clamp((int)Math.Round(fraction * members.Count, MidpointRounding.AwayFromZero), 1, members.Count - 1);
                for (int j = 0; j < take; j++)
                {
                    toValidation[order[j]] = true;
                }
            }
        }
        else if (holdout == ValidationHoldout.Classes)
        {
            if (byClass.Count < 3)
            {
                throw new ArgumentException($"Holding out whole classes needs at least 3 training classes (2 for validation, 1 for training); the set has {byClass.Count}.", nameof(train));
            }
            var classes = byClass.Keys.ToArray();
            rng.Shuffle(classes.AsSpan());
            int take = Math.Clamp((int)Math.Round(fraction * classes.Length, MidpointRounding.AwayFromZero), 2, classes.Length - 1);
            for (int j = 0; j < take; j++)
            {
                foreach (int i in byClass[classes[j]])
                {
                    toValidation[i] = true;
                }
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(holdout), holdout, "Unknown holdout mode.");
        }
        var keep = new List<int>(labels.Length);
        var held = new List<int>();
        for (int i = 0; i < labels.Length; i++)
        {
            (toValidation[i] ? held : keep).Add(i);
        }
        if (held.Count == 0)
        {
            throw new ArgumentException("No sample could be held out for validation (every class has a single sample).", nameof(train));
        }
        return (train.Subset(keep.ToArray()), train.Subset(held.ToArray()));
    }
}

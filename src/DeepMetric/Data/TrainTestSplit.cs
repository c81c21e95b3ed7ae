namespace DeepMetric.Data;

/// <summary>
/// A training set and a test set over the same classes. Deconstructs as <c>var (train, test) = split;</c>.
/// </summary>
/// <param name="Train">The items to train on.</param>
/// <param name="Test">The items to evaluate on.</param>
public sealed record TrainTestSplit(IDataset Train, IDataset Test)
{
    /// <summary>The directory the data was read from, when it came from disk.</summary>
    public string? SourceDirectory { get; init; }

    /// <summary>
    /// The open-set (zero-shot retrieval) protocol of deep metric learning: train on some classes and evaluate on
    /// classes never seen in training (Oh Song et al., "Deep Metric Learning via Lifted Structured Feature
    /// Embedding", CVPR 2016). By default the first half of the classes (0–4 for Fashion-MNIST) come from
    /// <see cref="Train"/> and the other half (5–9) from <see cref="Test"/>. When only one range is given the other
    /// side takes the remaining classes.
    /// </summary>
    /// <param name="trainClasses">Classes kept in the training set, e.g. <c>0..5</c>.</param>
    /// <param name="testClasses">Classes kept in the test set, e.g. <c>5..</c>; must not overlap <paramref name="trainClasses"/>.</param>
    /// <exception cref="ArgumentException">The two class sets overlap.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A range does not fit in the class count.</exception>
    public TrainTestSplit OpenSetSplit(Range? trainClasses = null, Range? testClasses = null)
    {
        int classCount = CheckSameClasses();
        bool[] train;
        bool[] test;
        if (trainClasses is null && testClasses is null)
        {
            train = ImageDataset.ClassMask(..(classCount / 2), classCount, nameof(trainClasses));
            test = Complement(train);
        }
        else if (testClasses is null)
        {
            train = ImageDataset.ClassMask(trainClasses!.Value, classCount, nameof(trainClasses));
            test = Complement(train);
        }
        else if (trainClasses is null)
        {
            test = ImageDataset.ClassMask(testClasses.Value, classCount, nameof(testClasses));
            train = Complement(test);
        }
        else
        {
            train = ImageDataset.ClassMask(trainClasses.Value, classCount, nameof(trainClasses));
            test = ImageDataset.ClassMask(testClasses.Value, classCount, nameof(testClasses));
            for (int c = 0; c < classCount; c++)
            {
                if (train[c] && test[c])
                {
                    throw new ArgumentException(
                        $"An open-set split needs disjoint classes, but class {c} is in both {trainClasses.Value} and {testClasses.Value}.",
                        nameof(testClasses));
                }
            }
        }
        return this with { Train = WhereClasses(Train, train), Test = WhereClasses(Test, test) };
    }

    /// <summary>
    /// The closed-set counterpart of <see cref="OpenSetSplit"/>: both sets keep the same classes (by default the
    /// first half, 0–4 for Fashion-MNIST), so the test images come from classes seen in training.
    /// </summary>
    /// <param name="classes">Classes kept in both sets, e.g. <c>0..5</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range does not fit in the class count.</exception>
    public TrainTestSplit SeenClassesSplit(Range? classes = null)
    {
        int classCount = CheckSameClasses();
        var keep = ImageDataset.ClassMask(classes ?? ..(classCount / 2), classCount, nameof(classes));
        return this with { Train = WhereClasses(Train, keep), Test = WhereClasses(Test, keep) };
    }

    private int CheckSameClasses()
    {
        if (Train.ClassNames.Count != Test.ClassNames.Count)
        {
            throw new InvalidOperationException(
                $"The training set has {Train.ClassNames.Count} classes and the test set {Test.ClassNames.Count}; class splits need the same classes on both sides.");
        }
        return Train.ClassNames.Count;
    }

    private static bool[] Complement(bool[] mask)
    {
        var result = new bool[mask.Length];
        for (int c = 0; c < mask.Length; c++)
        {
            result[c] = !mask[c];
        }
        return result;
    }

    // The items whose class is kept, in their original order.
    private static IDataset WhereClasses(IDataset data, bool[] keep)
    {
        var labels = data.Labels;
        var indices = new List<int>(labels.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            if (keep[labels[i]])
            {
                indices.Add(i);
            }
        }
        return data.Subset(indices.ToArray());
    }
}

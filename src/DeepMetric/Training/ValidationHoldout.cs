namespace DeepMetric.Training;

/// <summary>How <see cref="ValidationSplit.Split"/> holds out validation data from the training classes.</summary>
public enum ValidationHoldout
{
    /// <summary>A fraction of the samples of every training class (validation measures seen classes).</summary>
    Samples,

    /// <summary>Whole training classes (validation measures classes the model did not train on, like the open-set test).</summary>
    Classes,
}

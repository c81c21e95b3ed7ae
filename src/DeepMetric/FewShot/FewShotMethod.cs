using DeepMetric.Evaluation;

namespace DeepMetric.FewShot;

/// <summary>How a few-shot episode's queries are classified from its support set.</summary>
public enum FewShotMethod
{
    /// <summary>
    /// Nearest class mean (prototype) under squared Euclidean distance (Snell et al., "Prototypical Networks for
    /// Few-shot Learning", NeurIPS 2017).
    /// </summary>
    Prototype = 0,

    /// <summary>Majority vote of the k nearest support items (Euclidean distance).</summary>
    Knn = 1,
}

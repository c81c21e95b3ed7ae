namespace DeepMetric.FewShot;

/// <summary>
/// One N-way K-shot episode: a labelled support set and a query set drawn from the same N classes, with no item in
/// both. Labels inside the episode are 0 … N − 1, in the order of <see cref="Classes"/>.
/// </summary>
/// <param name="Classes">The dataset labels of the episode's classes; episode label <c>c</c> is dataset label <c>Classes[c]</c>.</param>
/// <param name="SupportIndices">Dataset indices of the support items (K per class).</param>
/// <param name="SupportLabels">Episode labels of the support items.</param>
/// <param name="QueryIndices">Dataset indices of the query items (Q per class).</param>
/// <param name="QueryLabels">Episode labels of the query items.</param>
public sealed record FewShotEpisode(int[] Classes, int[] SupportIndices, int[] SupportLabels, int[] QueryIndices, int[] QueryLabels)
{
    /// <summary>Number of classes (N).</summary>
    public int Ways => Classes.Length;
}

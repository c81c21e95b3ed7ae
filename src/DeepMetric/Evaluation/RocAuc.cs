namespace DeepMetric.Evaluation;

/// <summary>Area under the ROC curve of scores against binary labels.</summary>
public static class RocAuc
{
    /// <summary>
    /// The probability that a random positive scores above a random negative, ties counting one half (the
    /// Mann–Whitney U statistic divided by P·N), computed from average ranks in O(n log n).
    /// </summary>
    /// <param name="scores">One finite score per item; larger means "more positive".</param>
    /// <param name="positive">One label per item.</param>
    /// <exception cref="ArgumentException">Lengths differ, a score is not finite, or one class is absent.</exception>
    public static double Compute(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive)
    {
        if (scores.Length != positive.Length)
        {
            throw new ArgumentException($"Expected one label per score ({scores.Length}), got {positive.Length}.", nameof(positive));
        }
        int n = scores.Length;
        var order = new int[n];
        long positives = 0;
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(scores[i]))
            {
                throw new ArgumentException($"Score {i} is {scores[i]}; scores must be finite.", nameof(scores));
            }
            order[i] = i;
            positives += positive[i] ? 1 : 0;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            throw new ArgumentException("The AUC needs at least one positive and one negative item.", nameof(positive));
        }
        var keys = scores.ToArray();
        Array.Sort(keys, order);
        // Sum of the positives' ranks (1-based), tied scores sharing their average rank.
        double rankSum = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start])
            {
                end++;
            }
            double averageRank = ((start + end) / 2.0) + 1;
            for (int i = start; i <= end; i++)
            {
                rankSum += positive[order[i]] ? averageRank : 0;
            }
            start = end + 1;
        }
        double u = rankSum - (positives * (positives + 1) / 2.0);
        return u / ((double)positives * negatives);
    }
}

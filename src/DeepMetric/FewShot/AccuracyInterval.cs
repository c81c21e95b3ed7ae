namespace DeepMetric.FewShot;

/// <summary>
/// Mean accuracy over episodes with a 95 % confidence interval, reported as <c>Mean ± HalfWidth95</c>.
/// </summary>
/// <remarks>
/// <c>HalfWidth95 = 1.96 · s / √n</c>, where <c>n</c> is the number of episodes and <c>s</c> the sample standard
/// deviation of the per-episode accuracies (divisor n − 1; 0 when n = 1). This is the normal approximation used
/// throughout the few-shot literature (e.g. 600 episodes in Vinyals et al. 2016, Snell et al. 2017).
/// </remarks>
/// <param name="Mean">Mean of the per-episode accuracies, in [0, 1].</param>
/// <param name="HalfWidth95">Half-width of the 95 % confidence interval.</param>
/// <param name="StandardDeviation">Sample standard deviation of the per-episode accuracies.</param>
/// <param name="Episodes">Number of episodes.</param>
public sealed record AccuracyInterval(double Mean, double HalfWidth95, double StandardDeviation, int Episodes)
{
    /// <summary>The z value of a two-sided 95 % normal interval.</summary>
    public const double Z95 = 1.96;

    /// <summary>The interval from per-episode accuracies.</summary>
    /// <exception cref="ArgumentException"><paramref name="accuracies"/> is empty or holds a value outside [0, 1] or NaN.</exception>
    public static AccuracyInterval FromAccuracies(ReadOnlySpan<double> accuracies)
    {
        if (accuracies.IsEmpty)
        {
            throw new ArgumentException("At least one episode accuracy is needed.", nameof(accuracies));
        }
        double sum = 0;
        foreach (double a in accuracies)
        {
            if (!(a is >= 0 and <= 1))
            {
                throw new ArgumentException($"Accuracies must lie in [0, 1], got {a}.", nameof(accuracies));
            }
            sum += a;
        }
        int n = accuracies.Length;
        double mean = sum / n;
        double squares = 0;
        foreach (double a in accuracies)
        {
            squares += (a - mean) * (a - mean);
        }
        double sd = n > 1 ? Math.Sqrt(squares / (n - 1)) : 0;
        return new AccuracyInterval(mean, Z95 * sd / Math.Sqrt(n), sd, n);
    }
}

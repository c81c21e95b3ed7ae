namespace DeepMetric.Evaluation;

/// <summary>
/// Disentanglement metrics for embeddings of data with known generative factors, from Ridgeway &amp; Mozer,
/// "Learning Deep Disentangled Embeddings with the F-Statistic Loss" (NeurIPS 2018): modularity (each dimension
/// depends on at most one factor) and explicitness (each factor value is linearly decodable from the embedding).
/// </summary>
/// <remarks>
/// Embeddings are row-major <c>n × dimension</c>; factors are row-major <c>n × factorCount</c> non-negative
/// integers (the value of each factor for each item).
/// </remarks>
public static class Disentanglement
{
    /// <summary>
    /// Modularity. For each dimension i and factor f the mutual information m<sub>if</sub> is estimated by binning the
    /// dimension into <paramref name="bins"/> equal-width bins over its range. With θ<sub>i</sub> = max<sub>f</sub>
    /// m<sub>if</sub> and the template t<sub>if</sub> = θ<sub>i</sub> for the best factor and 0 otherwise, the
    /// deviation is δ<sub>i</sub> = Σ<sub>f</sub> (m<sub>if</sub> − t<sub>if</sub>)² / (θ<sub>i</sub>² (F − 1)); the
    /// score is the mean of 1 − δ<sub>i</sub>. 1 means every dimension carries information about one factor only.
    /// Dimensions with no information about any factor (θ<sub>i</sub> = 0, e.g. constant) have no defined deviation and
    /// are left out of the mean; if every dimension is such, the result is 0.
    /// </summary>
    /// <param name="embeddings">Embeddings, row-major.</param>
    /// <param name="dimension">Embedding dimension.</param>
    /// <param name="factors">Factor values, row-major <c>n × factorCount</c>.</param>
    /// <param name="factorCount">Number of factors (F ≥ 2).</param>
    /// <param name="bins">Histogram bins per dimension.</param>
    public static double Modularity(ReadOnlySpan<float> embeddings, int dimension, ReadOnlySpan<int> factors, int factorCount, int bins = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factorCount, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        int n = Validate(embeddings, dimension, factors, factorCount);
        var mi = MutualInformation(embeddings, dimension, factors, factorCount, n, bins);
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < dimension; i++)
        {
            var row = mi.AsSpan(i * factorCount, factorCount);
            int best = 0;
            for (int f = 1; f < factorCount; f++)
            {
                best = row[f] > row[best] ? f : best;
            }
            double theta = row[best];
            if (theta <= 1e-12)
            {
                continue;
            }
            double deviation = 0;
            for (int f = 0; f < factorCount; f++)
            {
                double d = f == best ? 0 : row[f];
                deviation += d * d;
            }
            sum += 1 - (deviation / (theta * theta * (factorCount - 1)));
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    /// <summary>
    /// The histogram estimate of the mutual information (nats) between every dimension and every factor, row-major
    /// <c>dimension × factorCount</c>.
    /// </summary>
    /// <param name="embeddings">Embeddings, row-major.</param>
    /// <param name="dimension">Embedding dimension.</param>
    /// <param name="factors">Factor values, row-major <c>n × factorCount</c>.</param>
    /// <param name="factorCount">Number of factors.</param>
    /// <param name="bins">Equal-width bins over each dimension's range.</param>
    public static double[] MutualInformation(ReadOnlySpan<float> embeddings, int dimension, ReadOnlySpan<int> factors, int factorCount, int bins = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factorCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        int n = Validate(embeddings, dimension, factors, factorCount);
        return MutualInformation(embeddings, dimension, factors, factorCount, n, bins);
    }

    /// <summary>
    /// Explicitness: for every factor and every value it takes, a one-vs-rest L2-regularised logistic regression on the
    /// whole (standardised) embedding is fitted and its ROC AUC on the same items recorded; the score is the mean AUC
    /// over all factor values (values held by every item or none are skipped). 1 means every value is linearly separable.
    /// </summary>
    /// <param name="embeddings">Embeddings, row-major.</param>
    /// <param name="dimension">Embedding dimension.</param>
    /// <param name="factors">Factor values, row-major <c>n × factorCount</c>.</param>
    /// <param name="factorCount">Number of factors.</param>
    /// <param name="l2">Ridge penalty on the weights (per item), keeping separable data bounded.</param>
    /// <param name="iterations">Gradient-descent steps of each fit.</param>
    public static double Explicitness(ReadOnlySpan<float> embeddings, int dimension, ReadOnlySpan<int> factors, int factorCount, double l2 = 1e-3, int iterations = 300)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factorCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(l2);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        int n = Validate(embeddings, dimension, factors, factorCount);
        var x = Standardize(embeddings, dimension, n);
        double total = 0;
        int count = 0;
        var target = new bool[n];
        var scores = new double[n];
        for (int f = 0; f < factorCount; f++)
        {
            var values = new SortedSet<int>();
            for (int r = 0; r < n; r++)
            {
                values.Add(factors[(r * factorCount) + f]);
            }
            foreach (int v in values)
            {
                int positives = 0;
                for (int r = 0; r < n; r++)
                {
                    target[r] = factors[(r * factorCount) + f] == v;
                    positives += target[r] ? 1 : 0;
                }
                if (positives == 0 || positives == n)
                {
                    continue;
                }
                FitLogistic(x, dimension, n, target, l2, iterations, scores);
                total += RocAuc.Compute(scores, target);
                count++;
            }
        }
        return count == 0 ? throw new ArgumentException("No factor takes two different values; explicitness is undefined.", nameof(factors)) : total / count;
    }

    private static int Validate(ReadOnlySpan<float> embeddings, int dimension, ReadOnlySpan<int> factors, int factorCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (embeddings.IsEmpty || embeddings.Length % dimension != 0)
        {
            throw new ArgumentException($"Expected a non-empty multiple of the dimension {dimension} embedding values, got {embeddings.Length}.", nameof(embeddings));
        }
        int n = embeddings.Length / dimension;
        if (factors.Length != n * factorCount)
        {
            throw new ArgumentException($"Expected {n} × {factorCount} factor values, got {factors.Length}.", nameof(factors));
        }
        foreach (int v in factors)
        {
            if (v < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(factors), v, "Factor values must be non-negative.");
            }
        }
        foreach (float e in embeddings)
        {
            if (!float.IsFinite(e))
            {
                throw new ArgumentException("Embeddings must be finite.", nameof(embeddings));
            }
        }
        return n;
    }

    private static double[] MutualInformation(ReadOnlySpan<float> embeddings, int dimension, ReadOnlySpan<int> factors, int factorCount, int n, int bins)
    {
        var mi = new double[dimension * factorCount];
        var binOf = new int[n];
        var binCounts = new double[bins];
        for (int i = 0; i < dimension; i++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int r = 0; r < n; r++)
            {
                float v = embeddings[(r * dimension) + i];
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            Array.Clear(binCounts);
            double width = ((double)max - min) / bins;
            for (int r = 0; r < n; r++)
            {
                // A constant dimension falls in one bin and so has zero information.
                int b = width > 0 ? (int)Math.Min(bins - 1, (embeddings[(r * dimension) + i] - (double)min) / width) : 0;
                binOf[r] = b;
                binCounts[b]++;
            }
            for (int f = 0; f < factorCount; f++)
            {
                var joint = new Dictionary<(int Bin, int Value), int>();
                var valueCounts = new Dictionary<int, int>();
                for (int r = 0; r < n; r++)
                {
                    int value = factors[(r * factorCount) + f];
                    joint[(binOf[r], value)] = joint.GetValueOrDefault((binOf[r], value)) + 1;
                    valueCounts[value] = valueCounts.GetValueOrDefault(value) + 1;
                }
                double sum = 0;
                foreach (var ((bin, value), c) in joint)
                {
                    // p(b,v) log(p(b,v) / (p(b) p(v))) = c/n · log(c·n / (n_b·n_v)).
                    sum += c / (double)n * Math.Log(c * (double)n / (binCounts[bin] * valueCounts[value]));
                }
                mi[(i * factorCount) + f] = Math.Max(0, sum);
            }
        }
        return mi;
    }

    private static double[] Standardize(ReadOnlySpan<float> embeddings, int dimension, int n)
    {
        var x = new double[n * dimension];
        for (int i = 0; i < dimension; i++)
        {
            double mean = 0;
            for (int r = 0; r < n; r++)
            {
                mean += embeddings[(r * dimension) + i];
            }
            mean /= n;
            double variance = 0;
            for (int r = 0; r < n; r++)
            {
                double d = embeddings[(r * dimension) + i] - mean;
                variance += d * d;
            }
            double scale = variance > 0 ? 1 / Math.Sqrt(variance / n) : 0;
            for (int r = 0; r < n; r++)
            {
                x[(r * dimension) + i] = (embeddings[(r * dimension) + i] - mean) * scale;
            }
        }
        return x;
    }

    // Full-batch gradient descent on the mean logistic loss + l2/2 ‖w‖²; writes the decision values w·x + b to scores.
    // Standardised inputs bound the curvature by ¼ · dimension, so the step 4 / dimension (half of 2/L) is stable.
    private static void FitLogistic(double[] x, int dimension, int n, bool[] target, double l2, int iterations, double[] scores)
    {
        var w = new double[dimension];
        var grad = new double[dimension];
        double b = 0;
        double step = 4.0 / Math.Max(1, dimension);
        for (int it = 0; it <= iterations; it++)
        {
            for (int r = 0; r < n; r++)
            {
                double z = b;
                for (int i = 0; i < dimension; i++)
                {
                    z += w[i] * x[(r * dimension) + i];
                }
                scores[r] = z;
            }
            if (it == iterations)
            {
                break;
            }
            Array.Clear(grad);
            double gradB = 0;
            for (int r = 0; r < n; r++)
            {
                double p = 1 / (1 + Math.Exp(-scores[r]));
                double residual = p - (target[r] ? 1 : 0);
                gradB += residual;
                for (int i = 0; i < dimension; i++)
                {
                    grad[i] += residual * x[(r * dimension) + i];
                }
            }
            for (int i = 0; i < dimension; i++)
            {
                w[i] -= step * ((grad[i] / n) + (l2 * w[i]));
            }
            b -= step * gradB / n;
        }
    }
}

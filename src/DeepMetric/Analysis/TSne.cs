using System.Numerics.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Analysis;

/// <summary>
/// t-distributed stochastic neighbour embedding (van der Maaten &amp; Hinton, "Visualizing Data using t-SNE", JMLR 2008):
/// Gaussian input affinities calibrated per point to a target perplexity by binary search on the precision,
/// symmetrised; a Student-t (one degree of freedom) kernel in the 2-D map; gradient descent with momentum,
/// per-coordinate adaptive gains (Jacobs 1988) and early exaggeration. Deterministic for a seed.
/// <para>
/// Two gradient algorithms (<see cref="TSneOptions.Method"/>): the exact one costs O(N²) time and memory and is
/// limited to <see cref="MaxPoints"/> points; Barnes–Hut t-SNE (van der Maaten, "Accelerating t-SNE using Tree-Based
/// Algorithms", JMLR 2014) keeps only the ⌊3·perplexity⌋ nearest neighbours of each point in P and approximates the
/// repulsion with a quadtree, O(N log N) per iteration. <see cref="TSneMethod.Auto"/> uses exact below
/// <see cref="BarnesHutThreshold"/> points, where it is fast enough and slightly more faithful, and Barnes–Hut from there on.
/// </para>
/// </summary>
public static partial class TSne
{
    /// <summary>Largest number of points the exact algorithm accepts.</summary>
    public const int MaxPoints = 5000;

    /// <summary>Smallest number of points for which <see cref="TSneMethod.Auto"/> chooses Barnes–Hut.</summary>
    public const int BarnesHutThreshold = 1000;

    /// <summary>Embeds <paramref name="rows"/> row-major points of dimension <paramref name="cols"/> into 2-D: rows×2 floats.</summary>
    /// <param name="data">rows×cols values.</param>
    /// <param name="rows">Number of points (≥ 1; at most <see cref="MaxPoints"/> with the exact method).</param>
    /// <param name="cols">Dimension (≥ 1).</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <exception cref="ArgumentException">Sizes do not match, a value is not finite, the perplexity is not in [1, rows − 1], or θ is not in [0, 1].</exception>
    /// <exception cref="ArgumentOutOfRangeException">The exact method was asked for more than <see cref="MaxPoints"/> points.</exception>
    public static float[] Embed(ReadOnlySpan<float> data, int rows, int cols, TSneOptions? options = null)
    {
        options ??= new TSneOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        bool barnesHut = options.Method switch
        {
            TSneMethod.Auto => rows >= BarnesHutThreshold,
            TSneMethod.Exact => false,
            TSneMethod.BarnesHut => true,
            _ => throw new ArgumentException($"Unknown t-SNE method {options.Method}.", nameof(options)),
        };
        if (!barnesHut)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, MaxPoints);
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Iterations, nameof(options));
        if (data.Length != (long)rows * cols)
        {
            throw new ArgumentException($"Expected {rows}×{cols} = {(long)rows * cols} values, got {data.Length}.", nameof(data));
        }
        foreach (float v in data)
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException("t-SNE needs finite input values.", nameof(data));
            }
        }
        if (!(options.LearningRate > 0) || !(options.EarlyExaggeration >= 1))
        {
            throw new ArgumentException($"LearningRate must be > 0 and EarlyExaggeration ≥ 1, got {options.LearningRate} and {options.EarlyExaggeration}.", nameof(options));
        }
        if (!(options.Theta >= 0 && options.Theta <= 1))
        {
            throw new ArgumentException($"Theta must be in [0, 1], got {options.Theta}.", nameof(options));
        }
        if (rows == 1)
        {
            return new float[2];
        }
        if (!(options.Perplexity >= 1) || options.Perplexity > rows - 1)
        {
            throw new ArgumentException($"Perplexity must be in [1, {rows - 1}] for {rows} points, got {options.Perplexity}.", nameof(options));
        }

        double[] y;
        if (barnesHut)
        {
            SparseAffinities p = Symmetrise(SparseConditional(data, rows, cols, options.Perplexity));
            var tree = new QuadTree();
            y = Optimise(rows, options, (map, attract, repel) => BarnesHutForces(p, tree, options.Theta, map, attract, repel));
        }
        else
        {
            float[] p = Affinities(data, rows, cols, options.Perplexity);
            y = Optimise(rows, options, (map, attract, repel) => ExactForces(p, map, attract, repel));
        }
        var result = new float[rows * 2];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (float)y[i];
        }
        return result;
    }

    /// <summary>Symmetric joint probabilities p_ij = (p_j|i + p_i|j) / 2N as a full N×N matrix.</summary>
    internal static float[] Affinities(ReadOnlySpan<float> data, int n, int d, double perplexity)
    {
        var p = new float[n * n];
        var dist = new double[n];
        var row = new double[n];
        double targetEntropy = Math.Log(perplexity);
        // Squared distances first (each pair once, mirrored); row i is then replaced by p_·|i in place,
        // which leaves the other rows' distances untouched.
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> xi = data.Slice(i * d, d);
            for (int j = i + 1; j < n; j++)
            {
                float e = TensorPrimitives.Distance(xi, data.Slice(j * d, d));
                p[(i * n) + j] = e * e;
                p[(j * n) + i] = e * e;
            }
        }
        for (int i = 0; i < n; i++)
        {
            Span<float> prow = p.AsSpan(i * n, n);
            double minDist = double.PositiveInfinity;
            for (int j = 0; j < n; j++)
            {
                dist[j] = prow[j];
                if (j != i)
                {
                    minDist = Math.Min(minDist, dist[j]);
                }
            }
            ConditionalRow(dist, i, minDist, targetEntropy, row);
            for (int j = 0; j < n; j++)
            {
                prow[j] = (float)row[j];
            }
        }
        float scale = 1f / (2f * n);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                float v = Math.Max((p[(i * n) + j] + p[(j * n) + i]) * scale, 1e-12f);
                p[(i * n) + j] = v;
                p[(j * n) + i] = v;
            }
            p[(i * n) + i] = 0;
        }
        return p;
    }

    // Binary search on the precision β = 1/2σ² until the entropy of p_·|i equals log(perplexity).
    private static void ConditionalRow(double[] dist, int self, double minDist, double targetEntropy, double[] row)
    {
        int n = dist.Length;
        double beta = 1, lo = double.NegativeInfinity, hi = double.PositiveInfinity;
        for (int step = 0; step < 200; step++)
        {
            double sum = 0, weighted = 0;
            for (int j = 0; j < n; j++)
            {
                // Shifting by the nearest distance keeps exp from underflowing to an all-zero row.
                double w = j == self ? 0 : Math.Exp(-(dist[j] - minDist) * beta);
                row[j] = w;
                sum += w;
                weighted += w * (dist[j] - minDist);
            }
            double entropy = Math.Log(sum) + (beta * weighted / sum);
            double diff = entropy - targetEntropy;
            if (Math.Abs(diff) < 1e-5)
            {
                break;
            }
            if (diff > 0)
            {
                lo = beta;
                beta = double.IsPositiveInfinity(hi) ? beta * 2 : (beta + hi) / 2;
            }
            else
            {
                hi = beta;
                beta = double.IsNegativeInfinity(lo) ? beta / 2 : (beta + lo) / 2;
            }
        }
        double total = 0;
        for (int j = 0; j < n; j++)
        {
            total += row[j];
        }
        for (int j = 0; j < n; j++)
        {
            row[j] /= total;
        }
    }

    // Attractive and repulsive force sums of the gradient (see ExactForces); returns the normaliser Z = Σ_{i≠j} (1 + d_ij²)⁻¹.
    private delegate double Forces(double[] y, double[] attract, double[] repel);

    private static double[] Optimise(int n, TSneOptions o, Forces forces)
    {
        var rng = new Prng(o.Seed);
        var y = new double[n * 2];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = 1e-2 * rng.NextNormal();
        }
        var update = new double[n * 2];
        var gains = new double[n * 2];
        Array.Fill(gains, 1.0);
        var attract = new double[n * 2];
        var repel = new double[n * 2];
        for (int iter = 0; iter < o.Iterations; iter++)
        {
            double exaggeration = iter < o.ExaggerationIterations ? o.EarlyExaggeration : 1;
            double momentum = iter < o.MomentumSwitchIteration ? o.InitialMomentum : o.FinalMomentum;
            double z = forces(y, attract, repel);
            double invZ = 1 / z;
            for (int k = 0; k < y.Length; k++)
            {
                double grad = 4 * ((exaggeration * attract[k]) - (repel[k] * invZ));
                // Gains grow where the gradient keeps pointing against the last step and shrink where it flips.
                gains[k] = Math.Sign(grad) != Math.Sign(update[k]) ? gains[k] + 0.2 : Math.Max(gains[k] * 0.8, 0.01);
                update[k] = (momentum * update[k]) - (o.LearningRate * gains[k] * grad);
                y[k] += update[k];
            }
            double m0 = 0, m1 = 0;
            for (int i = 0; i < n; i++)
            {
                m0 += y[2 * i];
                m1 += y[(2 * i) + 1];
            }
            m0 /= n;
            m1 /= n;
            for (int i = 0; i < n; i++)
            {
                y[2 * i] -= m0;
                y[(2 * i) + 1] -= m1;
            }
        }
        return y;
    }

    private static double ExactForces(float[] p, double[] y, double[] attract, double[] repel)
    {
        int n = y.Length / 2;
        Array.Clear(attract);
        Array.Clear(repel);
        // One pass over pairs: ∂C/∂y_i = 4 Σ_j (p_ij − q_ij)(1 + |y_i − y_j|²)⁻¹ (y_i − y_j), with q_ij = num_ij / Z.
        // The attractive part Σ p·num·Δ and the repulsive part Σ num²·Δ are summed separately, so Z is
        // applied afterwards and the pair kernel is computed once.
        double z = 0;
        for (int i = 0; i < n; i++)
        {
            double yi0 = y[2 * i], yi1 = y[(2 * i) + 1];
            double ai0 = 0, ai1 = 0, ri0 = 0, ri1 = 0;
            ReadOnlySpan<float> prow = p.AsSpan(i * n, n);
            for (int j = i + 1; j < n; j++)
            {
                double d0 = yi0 - y[2 * j], d1 = yi1 - y[(2 * j) + 1];
                double num = 1 / (1 + (d0 * d0) + (d1 * d1));
                z += 2 * num;
                double fa = prow[j] * num;
                double fr = num * num;
                ai0 += fa * d0;
                ai1 += fa * d1;
                ri0 += fr * d0;
                ri1 += fr * d1;
                attract[2 * j] -= fa * d0;
                attract[(2 * j) + 1] -= fa * d1;
                repel[2 * j] -= fr * d0;
                repel[(2 * j) + 1] -= fr * d1;
            }
            attract[2 * i] += ai0;
            attract[(2 * i) + 1] += ai1;
            repel[2 * i] += ri0;
            repel[(2 * i) + 1] += ri1;
        }
    return z;
    }
}

namespace DeepMetric.Reporting;

/// <summary>
/// Principal component analysis (Pearson 1901; Hotelling 1933): the top-k eigenvectors of the sample covariance,
/// computed in double precision by cyclic Jacobi rotations on the D×D covariance. The sign of each axis is fixed
/// so its largest-magnitude entry is positive, making results reproducible. Cost O(N·D² + D³): meant for
/// embeddings of a few hundred dimensions.
/// </summary>
public static class Pca
{
    /// <summary>Fits PCA to <paramref name="rows"/> row-major points of dimension <paramref name="cols"/>.</summary>
    /// <param name="data">rows×cols values.</param>
    /// <param name="rows">Number of points (≥ 1).</param>
    /// <param name="cols">Dimension D (≥ 1).</param>
    /// <param name="components">Number of components k, 1 ≤ k ≤ D.</param>
    /// <exception cref="ArgumentException">Sizes do not match, or a value is not finite.</exception>
    public static PcaResult Fit(ReadOnlySpan<float> data, int rows, int cols, int components = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(components, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(components, cols);
        if (data.Length != (long)rows * cols)
        {
            throw new ArgumentException($"Expected {rows}×{cols} = {(long)rows * cols} values, got {data.Length}.", nameof(data));
        }
        var mean = new double[cols];
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> x = data.Slice(i * cols, cols);
            for (int j = 0; j < cols; j++)
            {
                if (!float.IsFinite(x[j]))
                {
                    throw new ArgumentException($"Value at row {i}, column {j} is {x[j]}; PCA needs finite data.", nameof(data));
                }
                mean[j] += x[j];
            }
        }
        for (int j = 0; j < cols; j++)
        {
            mean[j] /= rows;
        }

        // Upper triangle of the scatter matrix, accumulated in double.
        var cov = new double[cols * cols];
        var centred = new double[cols];
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> x = data.Slice(i * cols, cols);
            for (int j = 0; j < cols; j++)
            {
                centred[j] = x[j] - mean[j];
            }
            for (int a = 0; a < cols; a++)
            {
                double ca = centred[a];
                if (ca == 0)
                {
                    continue;
                }
                Span<double> row = cov.AsSpan(a * cols, cols);
                for (int b = a; b < cols; b++)
                {
                    row[b] += ca * centred[b];
                }
            }
        }
        double divisor = Math.Max(1, rows - 1);
        double trace = 0;
        for (int a = 0; a < cols; a++)
        {
            for (int b = a; b < cols; b++)
            {
                double v = cov[(a * cols) + b] / divisor;
                cov[(a * cols) + b] = v;
                cov[(b * cols) + a] = v;
            }
            trace += cov[(a * cols) + a];
        }

        (double[] values, double[] vectors) = SymmetricEigen.Decompose(cov, cols);
        var variance = new double[components];
        var axes = new double[components * cols];
        for (int c = 0; c < components; c++)
        {
            // Rounding can leave tiny negative eigenvalues for rank-deficient data.
            variance[c] = Math.Max(0, values[c]);
            Span<double> axis = axes.AsSpan(c * cols, cols);
            vectors.AsSpan(c * cols, cols).CopyTo(axis);
            int big = 0;
            for (int j = 1; j < cols; j++)
            {
                if (Math.Abs(axis[j]) > Math.Abs(axis[big]) + 1e-12)
                {
                    big = j;
                }
            }
            if (axis[big] < 0)
            {
                for (int j = 0; j < cols; j++)
                {
                    axis[j] = -axis[j];
                }
            }
        }
        return new PcaResult(mean, axes, variance, trace);
    }

    /// <summary>Fits and projects in one step: rows×k floats.</summary>
    public static float[] FitTransform(ReadOnlySpan<float> data, int rows, int cols, int components = 2) =>
        Fit(data, rows, cols, components).Transform(data, rows);
}

using System.Numerics.Tensors;
using DeepMetric.Tensors;

namespace DeepMetric.Analysis;

/// <summary>
/// Principal component analysis (Pearson 1901; Hotelling 1933): the top-k eigenvectors of the sample covariance,
/// computed in double precision on the D×D covariance: by cyclic Jacobi rotations for D ≤ 64, otherwise by
/// orthogonal (block power) iteration with a Rayleigh–Ritz step. The sign of each axis is fixed so its
/// largest-magnitude entry is positive, making results reproducible. Cost O(N·D²) for the covariance plus the
/// eigen-solver: meant for embeddings of up to a few thousand dimensions.
/// </summary>
public static class Pca
{
    // Above this dimension the full Jacobi decomposition (O(D³) per sweep) gives way to subspace iteration.
    private const int JacobiLimit = 64;

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

        // Scatter matrix XᵀX of the centred data: float GEMM over blocks of rows, each block's partial sum
        // added into a double accumulator so long sums do not lose precision.
        const int blockRows = 256;
        var cov = new double[cols * cols];
        float[] block = GC.AllocateUninitializedArray<float>(Math.Min(rows, blockRows) * cols);
        float[] partial = GC.AllocateUninitializedArray<float>(cols * cols);
        var meanF = new float[cols];
        for (int j = 0; j < cols; j++)
        {
            meanF[j] = (float)mean[j];
        }
        for (int start = 0; start < rows; start += blockRows)
        {
            int count = Math.Min(blockRows, rows - start);
            for (int i = 0; i < count; i++)
            {
                TensorPrimitives.Subtract(data.Slice((start + i) * cols, cols), meanF, block.AsSpan(i * cols, cols));
            }
            Gemm.Multiply(true, false, cols, cols, count, 1f, block, cols, block, cols, 0f, partial, cols);
            for (int k = 0; k < cov.Length; k++)
            {
                cov[k] += partial[k];
            }
        }
        double divisor = Math.Max(1, rows - 1);
        double trace = 0;
        for (int a = 0; a < cols; a++)
        {
            for (int b = a; b < cols; b++)
            {
                // Average the two triangles so the matrix is exactly symmetric.
                double v = (cov[(a * cols) + b] + cov[(b * cols) + a]) / (2 * divisor);
                cov[(a * cols) + b] = v;
                cov[(b * cols) + a] = v;
            }
            trace += cov[(a * cols) + a];
        }

        (double[] values, double[] vectors) = cols <= JacobiLimit
            ? SymmetricEigen.Decompose(cov, cols)
            : SymmetricEigen.TopSubspace(cov, cols, components);
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

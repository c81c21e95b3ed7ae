using System.Numerics.Tensors;
using DeepMetric.Evaluation;

namespace DeepMetric.Analysis;

// Barnes–Hut t-SNE (van der Maaten, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 2014):
// sparse nearest-neighbour input affinities and quadtree-approximated repulsion.
public static partial class TSne
{
    /// <summary>
    /// Conditional affinities p_j|i restricted to the k = min(N − 1, ⌊3·perplexity⌋) nearest neighbours of each
    /// point (exact kNN), each row calibrated to the perplexity and summing to 1. Not symmetrised.
    /// </summary>
    internal static SparseAffinities SparseConditional(ReadOnlySpan<float> data, int n, int d, double perplexity)
    {
        int k = (int)Math.Min(n - 1, Math.Floor(3 * perplexity));
        var columns = new int[n * k];
        var values = new float[n * k];
        var rowStart = new int[n + 1];
        for (int i = 0; i <= n; i++)
        {
            rowStart[i] = i * k;
        }
        if (k == 0)
        {
            return new SparseAffinities(rowStart, columns, values);
        }

        // The library's exact-kNN core (GEMM tiles, ties to the lower index), each point leaving itself out.
        var x = data[..(n * d)].ToArray();
        var dist = new double[k];
        var row = new double[k];
        double targetEntropy = Math.Log(perplexity);
        BlockedKnn.Run(x, n, x, BlockedKnn.SquaredNorms(x, n, d), n, d, k, TileDistance.SquaredL2, static i => i, (i, neighbours) =>
        {
            // Exact distances of the chosen neighbours: the GEMM form loses precision to cancellation,
            // which matters for calibrating nearby points but not for choosing them.
            ReadOnlySpan<float> xi = x.AsSpan(i * d, d);
            double minDist = double.PositiveInfinity;
            for (int t = 0; t < k; t++)
            {
                int j = (int)(uint)neighbours[t];
                double e = TensorPrimitives.Distance(xi, x.AsSpan(j * d, d));
                dist[t] = e * e;
                minDist = Math.Min(minDist, dist[t]);
                columns[(i * k) + t] = j;
            }
            ConditionalRow(dist, -1, minDist, targetEntropy, row);
            for (int t = 0; t < k; t++)
            {
                values[(i * k) + t] = (float)row[t];
            }
        });
        return new SparseAffinities(rowStart, columns, values);
    }

    /// <summary>Joint probabilities p_ij = (p_j|i + p_i|j) / 2N on the union of both neighbour lists; columns sorted per row.</summary>
    internal static SparseAffinities Symmetrise(SparseAffinities conditional)
    {
        int n = conditional.Rows;
        int[] start = conditional.RowStart, cols = conditional.Columns;
        float[] vals = conditional.Values;
        // Every entry (i, j) contributes to (i, j) and (j, i); count, fill, then sort and merge within each row.
        var counts = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            for (int e = start[i]; e < start[i + 1]; e++)
            {
                counts[i + 1]++;
                counts[cols[e] + 1]++;
            }
        }
        for (int i = 0; i < n; i++)
        {
            counts[i + 1] += counts[i];
        }
        int total = counts[n];
        var tmpCols = new int[total];
        var tmpVals = new float[total];
        var fill = new int[n];
        Array.Copy(counts, fill, n);
        for (int i = 0; i < n; i++)
        {
            for (int e = start[i]; e < start[i + 1]; e++)
            {
                int j = cols[e];
                tmpCols[fill[i]] = j;
                tmpVals[fill[i]++] = vals[e];
                tmpCols[fill[j]] = i;
                tmpVals[fill[j]++] = vals[e];
            }
        }
        var outStart = new int[n + 1];
        var outCols = new int[total];
        var outVals = new float[total];
        float scale = 1f / (2f * n);
        int w = 0;
        for (int i = 0; i < n; i++)
        {
            outStart[i] = w;
            Span<int> rc = tmpCols.AsSpan(counts[i], counts[i + 1] - counts[i]);
            Span<float> rv = tmpVals.AsSpan(counts[i], counts[i + 1] - counts[i]);
            rc.Sort(rv);
            for (int e = 0; e < rc.Length; e++)
            {
                if (w > outStart[i] && outCols[w - 1] == rc[e])
                {
                    outVals[w - 1] += rv[e] * scale;
                }
                else
                {
                    outCols[w] = rc[e];
                    outVals[w++] = rv[e] * scale;
                }
            }
        }
        outStart[n] = w;
        return new SparseAffinities(outStart, outCols.AsSpan(0, w).ToArray(), outVals.AsSpan(0, w).ToArray());
    }

    private static double BarnesHutForces(SparseAffinities p, QuadTree tree, double theta, double[] y, double[] attract, double[] repel)
    {
        int n = y.Length / 2;
        int[] rowStart = p.RowStart, cols = p.Columns;
        float[] vals = p.Values;
        // Attraction only over the sparse P: Σ_j p_ij (1 + d_ij²)⁻¹ (y_i − y_j).
        for (int i = 0; i < n; i++)
        {
            double yi0 = y[2 * i], yi1 = y[(2 * i) + 1], a0 = 0, a1 = 0;
            for (int e = rowStart[i]; e < rowStart[i + 1]; e++)
            {
                int j = cols[e];
                double d0 = yi0 - y[2 * j], d1 = yi1 - y[(2 * j) + 1];
                double f = vals[e] / (1 + (d0 * d0) + (d1 * d1));
                a0 += f * d0;
                a1 += f * d1;
            }
            attract[2 * i] = a0;
            attract[(2 * i) + 1] = a1;
        }
        // Repulsion and Z from the quadtree.
        tree.Build(y, n);
        Span<int> stack = stackalloc int[tree.StackSize];
        double z = 0;
        for (int i = 0; i < n; i++)
        {
            double fx = 0, fy = 0;
            z += tree.Repulsion(i, y[2 * i], y[(2 * i) + 1], theta, stack, ref fx, ref fy);
            repel[2 * i] = fx;
            repel[(2 * i) + 1] = fy;
        }
        return z;
    }
}

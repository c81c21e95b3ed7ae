using System.Numerics;
using DeepMetric.Evaluation;
using DeepMetric.Search;

namespace DeepMetric.Dedup;

/// <summary>
/// Every pair (i &lt; j) of a set of vectors within a radius, exactly, without an n × n matrix: tiles of the upper
/// triangle of the Gram matrix come from <see cref="GramTiles"/> (the same formulation as <see cref="FlatIndex"/>'s range search,
/// ‖a − b‖² = ‖a‖² + ‖b‖² − 2·a·b), screened with a small slack for rounding, and the candidates' distances recomputed
/// directly. Each pair is computed once, so the cost is n²·d/2 multiply-adds.
/// </summary>
internal static class ExactSelfJoin
{
    private const int RowBlock = 128;
    private const int ColumnBlock = 2048;
    private const float Slack = 1e-4f;

    /// <summary>Calls <paramref name="pair"/>(i, j, reported distance) for every i &lt; j within <paramref name="radius"/>.
    /// For cosine, <paramref name="data"/> must hold unit (or zero) vectors.</summary>
    public static void Run(float[] data, int n, int d, VectorMetric metric, float radius, Action<int, int, float> pair)
    {
        float threshold = metric == VectorMetric.L2 ? radius * radius : radius;
        if (metric != VectorMetric.InnerProduct && radius < 0)
        {
            return;
        }
        var sq = new float[n];
        for (int i = 0; i < n; i++)
        {
            var row = data.AsSpan(i * d, d);
            sq[i] = VectorKernels.Dot(row, row);
        }
        // Screening test in the form alpha·‖b‖² − beta·(a·b) ≤ limit(a), so the inner loop is one vector compare.
        float alpha = metric == VectorMetric.L2 ? 1f - Slack : 0f;
        float beta = metric == VectorMetric.L2 ? 2f : 1f;
        float baseLimit = threshold + (Slack * (1f + Math.Abs(threshold))) - (metric == VectorMetric.Cosine ? 1f : 0f);
        var screen = new Screen(data, d, metric, threshold, sq, alpha, beta, baseLimit, pair);
        GramTiles.ForEach(data, n, data, n, d, RowBlock, ColumnBlock, upperTriangle: true, screen.Tile);
    }

    // The screening of one tile, in a static method of its own: the hot loop then works on locals and parameters, as
    // before the tile loop moved to GramTiles, not on the fields of a lambda's closure.
    private sealed class Screen(float[] data, int d, VectorMetric metric, float threshold, float[] sq, float alpha, float beta, float baseLimit,
        Action<int, int, float> pair)
    {
        public void Tile(int r0, int nr, int c0, int nc, Span<float> scores) =>
            Run(data, d, metric, threshold, sq, alpha, beta, baseLimit, pair, r0, nr, c0, nc, scores);

        private static void Run(float[] data, int d, VectorMetric metric, float threshold, float[] sq, float alpha, float beta, float baseLimit,
            Action<int, int, float> pair, int r0, int nr, int c0, int nc, Span<float> scores)
        {
            int width = Vector<float>.Count;
            var vAlpha = new Vector<float>(alpha);
            var vBeta = new Vector<float>(beta);
            for (int i = 0; i < nr; i++)
            {
                int a = r0 + i;
                float limit = baseLimit - (metric == VectorMetric.L2 ? (1f - Slack) * sq[a] : 0f);
                var dots = scores.Slice(i * nc, nc);
                var norms = sq.AsSpan(c0, nc);
                // Only columns b > a: in the diagonal tile start after a.
                int j = Math.Max(0, a + 1 - c0);
                var vLimit = new Vector<float>(limit);
                for (; j <= nc - width; j += width)
                {
                    var t = (vAlpha * new Vector<float>(norms[j..])) - (vBeta * new Vector<float>(dots[j..]));
                    if (Vector.LessThanOrEqualAny(t, vLimit))
                    {
                        for (int l = j; l < j + width; l++)
                        {
                            if ((alpha * norms[l]) - (beta * dots[l]) <= limit)
                            {
                                Refine(data, d, metric, threshold, a, c0 + l, pair);
                            }
                        }
                    }
                }
                for (; j < nc; j++)
                {
                    if ((alpha * norms[j]) - (beta * dots[j]) <= limit)
                    {
                        Refine(data, d, metric, threshold, a, c0 + j, pair);
                    }
                }
            }
        }
    }

    private static void Refine(float[] data, int d, VectorMetric metric, float threshold, int a, int b, Action<int, int, float> pair)
    {
        float dist = VectorKernels.Distance(metric, data.AsSpan(a * d, d), data.AsSpan(b * d, d));
        if (dist <= threshold)
        {
            pair(a, b, VectorKernels.ToReported(metric, dist));
        }
    }
}

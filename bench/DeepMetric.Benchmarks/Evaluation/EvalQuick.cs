using System.Diagnostics;
using DeepMetric.Evaluation;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Benchmarks.Evaluation;

/// <summary>
/// Evaluation cost on 5 000 × 64 L2-normalised embeddings in 5 classes of 1 000 (the shape of the Fashion-MNIST
/// 5–9 test split): Gaussian clusters around 5 random unit centres (σ = 0.15 per coordinate), then normalised.
/// Reports, best of three each after two warm-up calls: the whole leave-one-out <see cref="RetrievalMetrics.Compute(Tensor, ReadOnlySpan{int}, IReadOnlyList{int}?, KnnMetric)"/>,
/// its parts (the GEMM of all distances, the kNN search with K = 999, the per-query metrics from the ranked labels),
/// and the clustering scores (k-means++ with 5 clusters, and AMI alone).
/// <c>DEEPMETRIC_EVAL_EMBEDDINGS</c> names a file of real embeddings to use instead (int32 N = 5 000, int32 D = 64,
/// N·D float32, N int32 labels, little-endian).
/// </summary>
public static class EvalQuick
{
    private const int N = 5000, Dim = 64, Classes = 5;
    private static readonly int[] s_ks = [1, 2, 4, 8];

    public static IEnumerable<BenchRecord> Run()
    {
        string? file = Environment.GetEnvironmentVariable("DEEPMETRIC_EVAL_EMBEDDINGS");
        var (data, labels) = file is null ? Synthetic() : Load(file);
        var embeddings = Tensor.FromArray(data, N, Dim);
        string size = $"{N}x{Dim}";
        var m = RetrievalMetrics.Compute(embeddings, labels, s_ks);
        // The values themselves, to check that a faster evaluation still gives the same numbers.
        yield return new BenchRecord("eval_precision_at_1", m.PrecisionAt1, "");
        yield return new BenchRecord("eval_map_at_r", m.MapAtR, "");

        yield return new BenchRecord($"eval_retrieval_{size}", Best(() => RetrievalMetrics.Compute(embeddings, labels, s_ks)), "s");

        var block = new float[N * N];
        yield return new BenchRecord($"eval_gemm_{size}", Best(() => DeepMetric.Tensors.Gemm.Multiply(false, true, N, N, Dim, 1f, data, Dim, data, Dim, 0f, block, N)), "s");

        int k = (N / Classes) - 1;
        KnnResult knn = null!;
        yield return new BenchRecord($"eval_knn_{size}_k{k}", Best(() => knn = Knn.Search(data, N, data, N, Dim, k, KnnMetric.Euclidean, leaveOneOut: true)), "s");

        var queryLabels = new int[N];
        var ranked = new int[N][];
        var relevant = new int[N];
        for (int q = 0; q < N; q++)
        {
            queryLabels[q] = labels[q];
            relevant[q] = k;
            var nb = knn.Neighbours(q);
            ranked[q] = new int[k];
            for (int t = 0; t < k; t++)
            {
                ranked[q][t] = labels[nb[t]];
            }
        }
        yield return new BenchRecord($"eval_metrics_from_ranked_{size}", Best(() => RetrievalMetrics.FromRankedLabels(queryLabels, ranked, relevant, s_ks)), "s");

        yield return new BenchRecord($"eval_clustering_{size}", Best(() => ClusteringMetrics.Compute(embeddings, labels)), "s");
        var clusters = KMeans.Cluster(data, N, Dim, Classes);
        yield return new BenchRecord($"eval_kmeans_{size}", Best(() => KMeans.Cluster(data, N, Dim, Classes)), "s");
        yield return new BenchRecord($"eval_ami_{size}", Best(() => ClusteringMetrics.Ami(labels, clusters)), "s");
    }

    private static (float[] Data, int[] Labels) Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadInt32() != N || r.ReadInt32() != Dim)
        {
            throw new InvalidDataException($"{path}: expected {N}×{Dim} embeddings.");
        }
        var data = new float[N * Dim];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = r.ReadSingle();
        }
        var labels = new int[N];
        for (int i = 0; i < N; i++)
        {
            labels[i] = r.ReadInt32();
        }
        return (data, labels);
    }

    private static (float[] Data, int[] Labels) Synthetic()
    {
        var rng = new Prng(2024);
        var centres = new float[Classes * Dim];
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = (float)(rng.NextNormal() / Math.Sqrt(Dim));
        }
        var data = new float[N * Dim];
        var labels = new int[N];
        for (int i = 0; i < N; i++)
        {
            int c = i % Classes;
            labels[i] = c;
            var row = data.AsSpan(i * Dim, Dim);
            double norm = 0;
            for (int j = 0; j < Dim; j++)
            {
                row[j] = centres[(c * Dim) + j] + (float)(rng.NextNormal() * 0.15);
                norm += (double)row[j] * row[j];
            }
            float inv = (float)(1 / Math.Sqrt(norm));
            for (int j = 0; j < Dim; j++)
            {
                row[j] *= inv;
            }
        }
        return (data, labels);
    }

    private static double Best(Action action)
    {
        // One untimed call first, then give the tiered JIT time to install the optimised code.
        action();
        Thread.Sleep(200);
        action();
        double best = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return best;
    }
}

using DeepMetric.Internal;
using DeepMetric.Tensors.Special;
using Tensor = DeepMetric.Tensors.Tensor;

namespace DeepMetric.Evaluation;

/// <summary>
/// Clustering quality of embeddings: k-means++ with as many clusters as labels, scored by NMI and AMI against the
/// labels. NMI = MI / ((H(U) + H(V)) / 2); AMI = (MI − E[MI]) / ((H(U) + H(V)) / 2 − E[MI]), with E[MI] the
/// expected mutual information under the hypergeometric model (Vinh, Epps and Bailey, "Information Theoretic
/// Measures for Clusterings Comparison", JMLR 2010). Natural logarithms; two one-cluster labelings score 1.
/// </summary>
public static class ClusteringMetrics
{
    /// <summary>Clusters <paramref name="embeddings"/> with k-means++ (k = distinct labels) and scores the clusters.</summary>
    /// <param name="embeddings">Embeddings [N, D].</param>
    /// <param name="labels">Labels, length N.</param>
    /// <param name="seed">Seed of k-means++.</param>
    public static ClusteringScores Compute(Tensor embeddings, ReadOnlySpan<int> labels, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2 || embeddings.Dim(0) != labels.Length || labels.IsEmpty)
        {
            throw new ArgumentException($"Expected non-empty embeddings [{labels.Length}, D] matching the labels, got [{string.Join(", ", embeddings.Shape)}].", nameof(embeddings));
        }
        int k = labels.ToArray().Distinct().Count();
        var clusters = KMeans.Cluster(embeddings.ToArray(), labels.Length, embeddings.Dim(1), k, seed);
        return new ClusteringScores(Nmi(labels, clusters), Ami(labels, clusters), k);
    }

    /// <summary>Normalised mutual information of two labelings of the same items.</summary>
    public static double Nmi(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var t = Table.Of(a, b);
        if (t.Trivial)
        {
            return 1.0;
        }
        double mean = (t.EntropyA + t.EntropyB) / 2;
        return mean <= 0 ? 1.0 : Math.Max(0, t.MutualInformation) / mean;
    }

    /// <summary>Adjusted mutual information of two labelings of the same items.</summary>
    public static double Ami(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var t = Table.Of(a, b);
        if (t.Trivial)
        {
            return 1.0;
        }
        double expected = t.ExpectedMutualInformation();
        double denominator = ((t.EntropyA + t.EntropyB) / 2) - expected;
        // Guard a zero denominator the way the numerator goes to zero with it.
        denominator = denominator < 0 ? Math.Min(denominator, -double.Epsilon) : Math.Max(denominator, double.Epsilon);
        return (t.MutualInformation - expected) / denominator;
    }

    // Contingency table with its marginals.
    private sealed class Table
    {
        private int[,] _n = new int[0, 0];
        private int[] _rows = [];
        private int[] _cols = [];
        private int _total;

        public bool Trivial => (_rows.Length == 1 && _cols.Length == 1) || _total == 0;

        public double EntropyA => Entropy(_rows, _total);

        public double EntropyB => Entropy(_cols, _total);

        public double MutualInformation
        {
            get
            {
                double mi = 0, n = _total;
                for (int i = 0; i < _rows.Length; i++)
                {
                    for (int j = 0; j < _cols.Length; j++)
                    {
                        int nij = _n[i, j];
                        if (nij > 0)
                        {
                            mi += nij / n * Math.Log(n * nij / ((double)_rows[i] * _cols[j]));
                        }
                    }
                }
                return mi;
            }
        }

        public static Table Of(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
        {
            if (a.Length != b.Length)
            {
                throw new ArgumentException($"The labelings must have the same length ({a.Length} and {b.Length}).", nameof(b));
            }
            var ia = LabelGroups.DenseIndex(a);
            var ib = LabelGroups.DenseIndex(b);
            var t = new Table { _n = new int[ia.Count, ib.Count], _rows = new int[ia.Count], _cols = new int[ib.Count], _total = a.Length };
            for (int s = 0; s < a.Length; s++)
            {
                int i = ia[a[s]], j = ib[b[s]];
                t._n[i, j]++;
                t._rows[i]++;
                t._cols[j]++;
            }
            return t;
        }

        public double ExpectedMutualInformation()
        {
            int n = _total;
            double logNFact = LogFactorial(n);
            double emi = 0;
            foreach (int ai in _rows)
            {
                foreach (int bj in _cols)
                {
                    double fixedPart = LogFactorial(ai) + LogFactorial(bj) + LogFactorial(n - ai) + LogFactorial(n - bj) - logNFact;
                    for (int nij = Math.Max(1, ai + bj - n); nij <= Math.Min(ai, bj); nij++)
                    {
                        double logP = fixedPart - LogFactorial(nij) - LogFactorial(ai - nij) - LogFactorial(bj - nij) - LogFactorial(n - ai - bj + nij);
                        emi += nij / (double)n * Math.Log(n * (double)nij / ((double)ai * bj)) * Math.Exp(logP);
                    }
                }
            }
            return emi;
        }

        private static double LogFactorial(int x) => SpecialFunctions.LogGamma(x + 1.0);

        private static double Entropy(int[] counts, int total)
        {
            double h = 0;
            foreach (int c in counts)
            {
                if (c > 0)
                {
                    double p = c / (double)total;
                    h -= p * Math.Log(p);
                }
            }
            return h;
        }
    }
}

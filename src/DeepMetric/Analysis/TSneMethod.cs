namespace DeepMetric.Analysis;

/// <summary>Gradient algorithm of <see cref="TSne"/>.</summary>
public enum TSneMethod
{
    /// <summary>Exact below <see cref="TSne.BarnesHutThreshold"/> points, Barnes–Hut from there on.</summary>
    Auto,

    /// <summary>Dense O(N²) affinities and gradient (van der Maaten &amp; Hinton 2008); at most <see cref="TSne.MaxPoints"/> points.</summary>
    Exact,

    /// <summary>
    /// Sparse nearest-neighbour affinities and quadtree repulsion, O(N log N) per iteration
    /// (van der Maaten, "Accelerating t-SNE using Tree-Based Algorithms", JMLR 2014).
    /// </summary>
    BarnesHut,
}

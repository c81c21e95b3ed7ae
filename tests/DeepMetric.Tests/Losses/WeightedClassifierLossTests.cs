using DeepMetric.Losses;
using DeepMetric.Regularizers;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

/// <summary>Weight regularizers attached to the classifier / proxy losses (shared in <see cref="WeightedClassifierLoss"/>).</summary>
public sealed class WeightedClassifierLossTests
{
    private const int C = 4;
    private const int D = 3;
    private static readonly int[] Labels = [0, 2, 1, 1, 3, 0];

    /// <summary>Every loss holding a class matrix, built with the given weight regularizers (same seed, so the same matrix).</summary>
    public static TheoryData<string> LossNames => new()
    {
        "CrossEntropy", "NormalizedSoftmax", "ArcFace", "CosFace", "SubCenterArcFace", "LargeMarginSoftmax", "SphereFace",
        "ProxyNca", "ProxyAnchor", "P2SGrad", "SoftTriple", "CenterLossWithCrossEntropy",
    };

    private static WeightedClassifierLoss Create(string name, IEnumerable<WeightRegularizer>? regs) => name switch
    {
        "CrossEntropy" => new CrossEntropyLoss(C, D, seed: 3, weightRegularizers: regs),
        "NormalizedSoftmax" => new NormalizedSoftmaxLoss(C, D, seed: 3, weightRegularizers: regs),
        "ArcFace" => new ArcFaceLoss(C, D, seed: 3, weightRegularizers: regs),
        "CosFace" => new CosFaceLoss(C, D, seed: 3, weightRegularizers: regs),
        "SubCenterArcFace" => new SubCenterArcFaceLoss(C, D, seed: 3, weightRegularizers: regs),
        "LargeMarginSoftmax" => new LargeMarginSoftmaxLoss(C, D, seed: 3, weightRegularizers: regs),
        "SphereFace" => new SphereFaceLoss(C, D, seed: 3, weightRegularizers: regs),
        "ProxyNca" => new ProxyNcaLoss(C, D, seed: 3, weightRegularizers: regs),
        "ProxyAnchor" => new ProxyAnchorLoss(C, D, seed: 3, weightRegularizers: regs),
        "P2SGrad" => new P2SGradLoss(C, D, seed: 3, weightRegularizers: regs),
        "SoftTriple" => new SoftTripleLoss(C, D, centersPerClass: 2, seed: 3, weightRegularizers: regs),
        "CenterLossWithCrossEntropy" => new CenterLossWithCrossEntropy(C, D, seed: 3, weightRegularizers: regs),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static double ZeroMeanRef(Tensor w)
    {
        var rows = Reference.Rows(w.ToArray(), w.Dim(0), w.Dim(1));
        return rows.Average(r => Math.Abs(r.Sum()));
    }

    private static double RegularFaceRef(Tensor w)
    {
        var n = Reference.Rows(w.ToArray(), w.Dim(0), w.Dim(1)).Select(Reference.Normalize).ToArray();
        double s = 0;
        for (int i = 0; i < n.Length; i++)
        {
            double best = double.NegativeInfinity;
            for (int j = 0; j < n.Length; j++)
            {
                if (j != i)
                {
                    best = Math.Max(best, Reference.Dot(n[i], n[j]));
                }
            }
            s += best;
        }
        return s / n.Length;
    }

    private static double ArcPsi(double c, double m)
    {
        double theta = Math.Acos(Math.Clamp(c, -1, 1));
        return theta + m < Math.PI ? Math.Cos(theta + m) : c - (m * Math.Sin(m));
    }

    [Fact]
    public void ArcFace_WithRegularFace_IsArcFacePlusIndependentRegularizer()
    {
        var loss = new ArcFaceLoss(C, 5, margin: 0.3f * (180f / MathF.PI), scale: 10f, seed: 2, weightRegularizers: [new RegularFaceRegularizer(0.5f)]);
        var x = Fixtures.RandomEmbeddings(12, Labels.Length, 5);
        var cos = ClassifierReference.Cosines(x.ToArray(), Labels.Length, loss.Weight.ToArray(), C, 5);
        double expected = ClassifierReference.MarginSoftmax(cos, Labels, 10, c => ArcPsi(c, 0.3))
            + (0.5 * RegularFaceRef(loss.Weight));
        Assert.Equal(expected, loss.Compute(x, Labels).Item(), (expected * 1e-4) + 1e-4);
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void EveryClassMatrixLoss_AddsTheRegularizerTerm(string name)
    {
        var plain = Create(name, null);
        var regularized = Create(name, [new ZeroMeanRegularizer(0.7f)]);
        Assert.Equal(plain.Weight.ToArray(), regularized.Weight.ToArray());
        Assert.Same(regularized.Weight, ((IHasClassWeights)regularized).ClassWeights);
        Assert.Empty(plain.WeightRegularizers);
        Assert.Single(regularized.WeightRegularizers);

        var x = Fixtures.RandomEmbeddings(5, Labels.Length, D);
        // Computed first: P2SGrad rescales its rows to unit norm in place (as PML), and the regularizer sees those.
        double value = regularized.Compute(x, Labels).Item();
        double expected = plain.Compute(x, Labels).Item() + (0.7 * ZeroMeanRef(regularized.Weight));
        Assert.Equal(expected, value, (Math.Abs(expected) * 1e-5) + 1e-5);

        var terms = regularized.ComputeTerms(x, Labels);
        Assert.Equal("ZeroMeanRegularizer", terms[^1].Name);
        Assert.Equal(LossTermKind.AlreadyReduced, terms[^1].Kind);
    }

    [Theory]
    [MemberData(nameof(LossNames))]
    public void RegularizerGradient_ReachesTheWeights(string name)
    {
        // A huge regularizer weight: the weight gradient then differs from the unregularised one.
        var plain = Create(name, null);
        // P2SGrad's rows are unit-norm after its in-place rescaling, where the centre-invariant penalty is flat.
        var regularized = Create(name, [name == "P2SGrad" ? (WeightRegularizer)new ZeroMeanRegularizer(100f) : new CenterInvariantRegularizer(100f)]);
        var x = Fixtures.RandomEmbeddings(6, Labels.Length, D, requiresGrad: false);
        plain.Compute(x, Labels).Backward();
        regularized.Compute(x, Labels).Backward();
        Fixtures.AssertFinite(regularized.Weight.Grad);
        var g0 = plain.Weight.Grad?.ToArray() ?? new float[plain.Weight.Size];
        var g1 = regularized.Weight.Grad!.ToArray();
        Assert.Contains(Enumerable.Range(0, g1.Length), i => Math.Abs(g1[i] - g0[i]) > 1e-3);
    }

    [Fact]
    public void Gradient_ArcFaceWithRegularFace_MatchesFiniteDifferences()
    {
        var loss = new ArcFaceLoss(C, D, margin: 0.4f * (180f / MathF.PI), scale: 3f, seed: 7, weightRegularizers: [new RegularFaceRegularizer(2f)]);
        GradCheck.Check(t => loss.Compute(t[0], Labels), [GradCheck.Random(8, [Labels.Length, D]), loss.Weight]);
    }

    [Fact]
    public void NullRegularizer_IsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new CosFaceLoss(C, D, weightRegularizers: [null!]));
        Assert.Equal("weightRegularizers", ex.ParamName);
    }
}

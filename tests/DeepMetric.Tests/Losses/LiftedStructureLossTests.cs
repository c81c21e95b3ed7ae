using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors.Tests.TestUtil;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Losses;

public sealed class LiftedStructureLossTests
{
    private static readonly int[] Labels = [0, 0, 1, 1, 2, 0, 1];

    /// <summary>The paper's formula over unordered positive pairs: 1/(2|P|) Σ [J_ij]₊².</summary>
    private static double Expected(double[,] d, double[,] dRef, int[] labels, int[] refLabels, bool sameSet, double alpha)
    {
        int n = labels.Length, m = refLabels.Length;
        double total = 0;
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                if ((sameSet && j <= i) || labels[i] != refLabels[j])
                {
                    continue;
                }
                double s = 0;
                for (int k = 0; k < m; k++)
                {
                    if (refLabels[k] != labels[i])
                    {
                        s += Math.Exp(alpha - d[i, k]);
                    }
                }
                for (int l = 0; l < m; l++)
                {
                    if (refLabels[l] != refLabels[j])
                    {
                        s += Math.Exp(alpha - dRef[j, l]);
                    }
                }
                double jij = Math.Log(s) + d[i, j];
                total += Math.Pow(Math.Max(0, jij), 2);
                count++;
            }
        }
        return count == 0 ? 0 : total / (2 * count);
    }

    [Theory]
    [InlineData(1UL, 1f)]
    [InlineData(2UL, 0.3f)]
    [InlineData(3UL, 4f)]
    public void Value_MatchesPaperFormula(ulong seed, float margin)
    {
        var e = Fixtures.RandomEmbeddings(seed, Labels.Length, 4);
        var d = Reference.Euclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 4, normalize: false);
        var loss = new LiftedStructureLoss(margin, distance: new LpDistance(normalizeEmbeddings: false)).Compute(e, Labels);
        Assert.Equal(Expected(d, d, Labels, Labels, true, margin), loss.Item(), 3);
    }

    [Fact]
    public void WithCosineSimilarity_UsesNegatedSimilarityAsDistance()
    {
        var e = Fixtures.RandomEmbeddings(4, Labels.Length, 3);
        var s = Reference.Similarities(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true);
        var d = new double[Labels.Length, Labels.Length];
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                d[i, j] = -s[i, j];
            }
        }
        var loss = new LiftedStructureLoss(0.5f, distance: new CosineSimilarity()).Compute(e, Labels);
        // PML's direction for similarities: exp(s − m⁻) = exp(−0.5 − D) with D = −s.
        Assert.Equal(Expected(d, d, Labels, Labels, true, -0.5), loss.Item(), 4);
    }

    [Fact]
    public void PosMargin_ShiftsThePositiveDistance()
    {
        var e = Fixtures.RandomEmbeddings(5, Labels.Length, 3);
        var d = Reference.Euclidean(e.ToArray(), Labels.Length, e.ToArray(), Labels.Length, 3, normalize: true);
        var loss = new LiftedStructureLoss(1f, posMargin: 0.3f).Compute(e, Labels);
        // D_ij − m⁺ with the negatives' terms unchanged: the reference formula with the positive distance shifted.
        double total = 0;
        int count = 0;
        for (int i = 0; i < Labels.Length; i++)
        {
            for (int j = 0; j < Labels.Length; j++)
            {
                if (i == j || Labels[i] != Labels[j])
                {
                    continue;
                }
                double s = 0;
                for (int k = 0; k < Labels.Length; k++)
                {
                    s += (Labels[k] != Labels[i] ? Math.Exp(1 - d[i, k]) : 0) + (Labels[k] != Labels[j] ? Math.Exp(1 - d[j, k]) : 0);
                }
                total += 0.5 * Math.Pow(Math.Max(0, Math.Log(s) + d[i, j] - 0.3), 2);
                count++;
            }
        }
        Assert.Equal(total / count, loss.Item(), 4);
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var loss = new LiftedStructureLoss(2f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1, 0, 1, 2, 2]), [GradCheck.Random(7, [6, 3])]);
    }

    [Fact]
    public void Gradient_WithReferenceSet_MatchesFiniteDifferences()
    {
        var loss = new LiftedStructureLoss(2f);
        GradCheck.Check(x => loss.Compute(x[0], [0, 1], refEmbeddings: x[1], refLabels: [0, 1, 1, 0]),
            [GradCheck.Random(8, [2, 3]), GradCheck.Random(9, [4, 3])]);
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 1, 2, 3, 4 })]
    public void BatchesWithNothingToLearn_GiveZeroAndZeroGradient(int[] labels)
    {
        LossAssert.NothingToLearn(new LiftedStructureLoss(), labels, seed: 10);
    }

    [Fact]
    public void OneClass_HasNoNegatives_GivesZero()
    {
        // With N(i) = N(j) = ∅ the paper's J_ij = log 0 + D_ij = −∞, so the squared hinge is 0.
        LossAssert.NothingToLearn(new LiftedStructureLoss(), [4, 4, 4], seed: 11, dim: 2);
    }

    [Fact]
    public void DuplicatedEmbeddings_GiveFiniteGradient()
    {
        float loss = LossAssert.FiniteGradientOnDuplicates(new LiftedStructureLoss(), LossAssert.FourEqualRows(), [0, 0, 1, 1]);
        Assert.Equal(0.5 * Math.Pow(1 + Math.Log(4), 2), loss, 4);
    }

    [Fact]
    public void BadMargin_IsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new LiftedStructureLoss(float.NaN));
        Assert.Equal("negMargin", ex.ParamName);
    }
}

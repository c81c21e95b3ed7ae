using DeepMetric.Distances;
using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tests.Losses;

/// <summary>
/// Losses on 2-D unit vectors at hand-chosen angles, checked against numbers worked out by hand from the geometry.
/// </summary>
/// <remarks>
/// The batch: A = 0° and B = 10° (class 0), C = 90° and D = 180° (class 1).
/// Cosine similarities cos Δθ: AB = cos 10° ≈ 0.984808, AC = 0, AD = −1, BC = cos 80° ≈ 0.173648, BD = −cos 10°, CD = 0.
/// Euclidean distances 2·sin(Δθ/2): AB = 2 sin 5° ≈ 0.174311, AC = √2, AD = 2, BC = 2 sin 40° ≈ 1.285575,
/// BD = 2 sin 85° ≈ 1.992389, CD = √2.
/// Positive pairs (ordered): AB, BA, CD, DC. Negative pairs: AC, AD, BC, BD and their reverses.
/// </remarks>
public sealed class KnownAngleTests
{
    private static readonly int[] Labels = [0, 0, 1, 1];
    private static readonly double Cos10 = Math.Cos(Deg(10)), Cos80 = Math.Cos(Deg(80));
    private static readonly double DistAB = 2 * Math.Sin(Deg(5)), DistBC = 2 * Math.Sin(Deg(40)), Sqrt2 = Math.Sqrt(2);

    private static double Deg(double degrees) => degrees * Math.PI / 180;

    private static Tensor Points(params double[] degrees)
    {
        var data = new float[degrees.Length * 2];
        for (int i = 0; i < degrees.Length; i++)
        {
            data[2 * i] = (float)Math.Cos(Deg(degrees[i]));
            data[(2 * i) + 1] = (float)Math.Sin(Deg(degrees[i]));
        }
        var t = Tensor.FromArray(data, degrees.Length, 2);
        t.RequiresGrad = true;
        return t;
    }

    private static Tensor Batch() => Points(0, 10, 90, 180);

    private static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Fact]
    public void Contrastive_Euclidean()
    {
        // m⁺ = 0.1, m⁻ = 1.5, average of non-zero values per term.
        // pos: [d − 0.1]₊ = AB, BA: 2 sin 5° − 0.1 ≈ 0.074311; CD, DC: √2 − 0.1 ≈ 1.314214 → mean ≈ 0.694263.
        // neg: [1.5 − d]₊ = AC: 1.5 − √2 ≈ 0.085786; BC: 1.5 − 2 sin 40° ≈ 0.214425; AD, BD: 0 → mean of non-zero ≈ 0.150106.
        // total ≈ 0.844368.
        double pos = ((DistAB - 0.1) + (Sqrt2 - 0.1)) / 2;
        double neg = ((1.5 - Sqrt2) + (1.5 - DistBC)) / 2;
        var loss = new ContrastiveLoss(posMargin: 0.1f, negMargin: 1.5f).Compute(Batch(), Labels);
        Assert.Equal(pos + neg, loss.Item(), 5);
        Assert.Equal(0.844368, loss.Item(), 4);
    }

    [Fact]
    public void Contrastive_Cosine()
    {
        // Similarities: pos [0.9 − s]₊ = AB: 0 (cos 10° > 0.9), CD: 0.9 → non-zero mean 0.9.
        // neg [s − 0.1]₊ = BC: cos 80° − 0.1 ≈ 0.073648; AC (0), AD (−1), BD (−cos 10°): 0 → 0.073648. Total ≈ 0.973648.
        var loss = new ContrastiveLoss(posMargin: 0.9f, negMargin: 0.1f, distance: new CosineSimilarity()).Compute(Batch(), Labels);
        Assert.Equal(0.9 + (Cos80 - 0.1), loss.Item(), 5);
    }

    [Fact]
    public void TripletMargin()
    {
        // margin 0.2, [d_ap − d_an + 0.2]₊ over all 8 triplets:
        // anchor A (p = B, 0.174): n = C (√2), D (2) → 0.   anchor B (p = A): n = C (1.286), D (1.992) → 0.
        // anchor C (p = D, √2): n = A (√2) → 0.2;  n = B (2 sin 40°) → √2 − 1.285575 + 0.2 ≈ 0.328639.
        // anchor D (p = C, √2): n = A (2) → 0;  n = B (1.992) → 0.
        // Average of non-zero: (0.2 + 0.328639) / 2 ≈ 0.264319.
        var loss = new TripletMarginLoss(margin: 0.2f).Compute(Batch(), Labels);
        Assert.Equal((0.2 + (Sqrt2 - DistBC + 0.2)) / 2, loss.Item(), 4);
        Assert.Equal(0.264319, loss.Item(), 4);
    }

    [Fact]
    public void MultiSimilarity()
    {
        // α = 2, β = 50, λ = 0.5, per anchor P(s) = ½ log(1 + Σ e^{−2(s − 0.5)}), N(s) = (1/50) log(1 + Σ e^{50(s − 0.5)}):
        // A: P{cos 10°} + N{0, −1}          ≈ 0.160762
        // B: P{cos 10°} + N{cos 80°, −cos 10°} ≈ 0.160762
        // C: P{0} + N{0, cos 80°}           ≈ 0.656631  (½ log(1 + e) ≈ 0.656631)
        // D: P{0} + N{−1, −cos 10°}         ≈ 0.656631
        // mean ≈ 0.408697.
        static double P(params double[] s) => 0.5 * Math.Log(1 + s.Sum(x => Math.Exp(-2 * (x - 0.5))));
        static double N(params double[] s) => Math.Log(1 + s.Sum(x => Math.Exp(50 * (x - 0.5)))) / 50;
        double expected = (P(Cos10) + N(0, -1) + P(Cos10) + N(Cos80, -Cos10) + P(0) + N(0, Cos80) + P(0) + N(-1, -Cos10)) / 4;
        var loss = new MultiSimilarityLoss().Compute(Batch(), Labels);
        Assert.Equal(expected, loss.Item(), 5);
        Assert.Equal(0.408697, loss.Item(), 4);
    }

    [Fact]
    public void Circle()
    {
        // m = 0.25, γ = 2: αp = [1.25 − sp]₊, αn = [sn + 0.25]₊, Δp = 0.75, Δn = 0.25,
        // per anchor softplus(log Σn e^{γ αn (sn − Δn)} + log Σp e^{−γ αp (sp − Δp)}):
        // A: p cos 10°, n {0, −1}: −2·0.265192·0.234808 ≈ −0.124537; log(e^{−0.125} + e⁰) ≈ 0.630647 → ≈ 0.979102
        //    (the negative at −1 has αn = 0, so it contributes e⁰ = 1).
        // B: p cos 10°, n {cos 80°, −cos 10°} ≈ 0.997133.   C: p 0, n {0, cos 80°} ≈ 2.554660.
        // D: p 0, n {−1, −cos 10°} ≈ 2.642027.   Average of non-zero (all) ≈ 1.793231.
        static double Anchor(double[] ps, double[] ns)
        {
            double lp = Math.Log(ps.Sum(s => Math.Exp(-2 * Math.Max(0, 1.25 - s) * (s - 0.75))));
            double ln = Math.Log(ns.Sum(s => Math.Exp(2 * Math.Max(0, s + 0.25) * (s - 0.25))));
            return Softplus(lp + ln);
        }
        double expected = (Anchor([Cos10], [0, -1]) + Anchor([Cos10], [Cos80, -Cos10]) + Anchor([0], [0, Cos80]) + Anchor([0], [-1, -Cos10])) / 4;
        var loss = new CircleLoss(margin: 0.25f, gamma: 2f).Compute(Batch(), Labels);
        Assert.Equal(expected, loss.Item(), 4);
        Assert.Equal(1.793231, loss.Item(), 3);
    }

    [Fact]
    public void NTXent()
    {
        // τ = 0.5, per positive pair −log(e^{s⁺/τ} / (e^{s⁺/τ} + Σ_{n∈N(a)} e^{sₙ/τ})):
        // AB: s⁺ = cos 10°, N = {0, −1} ≈ 0.147032;  BA: cos 10°, N = {cos 80°, −cos 10°} ≈ 0.196309;
        // CD: 0, N = {0, cos 80°} ≈ 1.228247;  DC: 0, N = {−1, −cos 10°} ≈ 0.242825.  Mean ≈ 0.453603.
        static double Pair(double sp, params double[] ns) => Math.Log(1 + ns.Sum(s => Math.Exp((s - sp) / 0.5)));
        double expected = (Pair(Cos10, 0, -1) + Pair(Cos10, Cos80, -Cos10) + Pair(0, 0, Cos80) + Pair(0, -1, -Cos10)) / 4;
        var loss = new NTXentLoss(temperature: 0.5f).Compute(Batch(), Labels);
        Assert.Equal(expected, loss.Item(), 5);
        Assert.Equal(0.453603, loss.Item(), 4);
    }

    /// <summary>Class rows W₀ at 0° and W₁ at 90°; embeddings x₀ at 10° (class 0) and x₁ at 120° (class 1).</summary>
    private static void SetClassRows(WeightedClassifierLoss loss)
    {
        var w = loss.Weight.Span;
        w[0] = 1f;
        w[1] = 0f;
        w[2] = 0f;
        w[3] = 1f;
    }

    [Fact]
    public void CosFace()
    {
        // s = 4, m = 0.35. x₀: θ to its class 10°, to the other 80°;  x₁: 30° to its class, 120° to the other.
        // ℓ = softplus(s·cos θ_other − s·(cos θ_own − m)):
        // x₀: softplus(4 cos 80° − 4 (cos 10° − 0.35)) ≈ 0.146766;  x₁: softplus(4 cos 120° − 4 (cos 30° − 0.35)) ≈ 0.017033.
        // Mean ≈ 0.081899.
        var loss = new CosFaceLoss(2, 2, margin: 0.35f, scale: 4f);
        SetClassRows(loss);
        double expected = (Softplus((4 * Cos80) - (4 * (Cos10 - 0.35))) + Softplus((4 * Math.Cos(Deg(120))) - (4 * (Math.Cos(Deg(30)) - 0.35)))) / 2;
        var value = loss.Compute(Points(10, 120), [0, 1]);
        Assert.Equal(expected, value.Item(), 5);
        Assert.Equal(0.081899, value.Item(), 4);
    }

    [Fact]
    public void ArcFace()
    {
        // s = 4, m = 0.5 rad: the own-class angle grows by m: ℓ = softplus(s·cos θ_other − s·cos(θ_own + m)):
        // x₀: softplus(4 cos 80° − 4 cos(10° + 0.5 rad)) ≈ 0.084423;  x₁: softplus(4 cos 120° − 4 cos(30° + 0.5 rad)) ≈ 0.016746.
        // Mean ≈ 0.050585.
        var loss = new ArcFaceLoss(2, 2, margin: 0.5f * (180f / MathF.PI), scale: 4f);
        SetClassRows(loss);
        double expected = (Softplus((4 * Cos80) - (4 * Math.Cos(Deg(10) + 0.5))) + Softplus((4 * Math.Cos(Deg(120))) - (4 * Math.Cos(Deg(30) + 0.5)))) / 2;
        var value = loss.Compute(Points(10, 120), [0, 1]);
        Assert.Equal(expected, value.Item(), 5);
        Assert.Equal(0.050585, value.Item(), 4);
    }
}

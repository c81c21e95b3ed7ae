using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;
using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

/// <summary>
/// <see cref="Ops.FrozenBatchNorm"/> (batch norm with stored statistics [+ residual] [+ ReLU] as one op) against a
/// double-precision loop, finite differences, and the unfused chain BatchNorm(training: false) → Add → Relu, whose values
/// and gradients it must reproduce bit for bit.
/// </summary>
public sealed class FrozenBatchNormTests
{
    private sealed record Case(Tensor X, Tensor Gamma, Tensor Beta, Tensor Mean, Tensor Var, Tensor? Residual, Tensor Upstream);

    private static Case Make(int[] shape, bool withResidual, ulong seed, float gammaScale = 1f)
    {
        int c = shape[1];
        var rng = new Prng(seed);
        var gamma = Tensor.Rand(rng, [c], 0.5f, 1.5f);
        if (gammaScale != 1f)
        {
            gamma = Tensor.FromArray([.. gamma.ToArray().Select(v => v * gammaScale)], c);
        }
        return new Case(
            Tensor.Rand(rng, shape, -2f, 2f),
            gamma,
            Tensor.Rand(rng, [c], -0.5f, 0.5f),
            Tensor.Rand(rng, [c], -0.5f, 0.5f),
            Tensor.Rand(rng, [c], 0.3f, 2f),
            withResidual ? Tensor.Rand(rng, shape, -1f, 1f) : null,
            Tensor.Rand(rng, shape, -1f, 1f));
    }

    private static Tensor Fused(Case k, Tensor x, Tensor? residual, bool relu) =>
        Ops.FrozenBatchNorm(x, k.Gamma, k.Beta, k.Mean, k.Var, 1e-3f, residual, relu);

    private static Tensor Unfused(Case k, Tensor x, Tensor? residual, bool relu)
    {
        var y = Ops.BatchNorm(x, k.Gamma, k.Beta, k.Mean, k.Var, training: false, eps: 1e-3f);
        if (residual is not null)
        {
            y = Ops.Add(y, residual);
        }
        return relu ? Ops.Relu(y) : y;
    }

    // Output and the gradients of x, γ, β and the residual of Σ upstream ⊙ f(…).
    private static List<float[]> Run(Case k, bool relu, Func<Case, Tensor, Tensor?, bool, Tensor> op)
    {
        var x = Tensor.FromArray(k.X.ToArray(), k.X.Shape);
        var residual = k.Residual is null ? null : Tensor.FromArray(k.Residual.ToArray(), k.Residual.Shape);
        x.RequiresGrad = true;
        k.Gamma.RequiresGrad = true;
        k.Beta.RequiresGrad = true;
        k.Gamma.Grad = null;
        k.Beta.Grad = null;
        if (residual is not null)
        {
            residual.RequiresGrad = true;
        }
        var y = op(k, x, residual, relu);
        Ops.Sum(Ops.Mul(y, k.Upstream)).Backward();
        var result = new List<float[]> { y.ToArray(), x.Grad!.ToArray(), k.Gamma.Grad!.ToArray(), k.Beta.Grad!.ToArray() };
        if (residual is not null)
        {
            result.Add(residual.Grad!.ToArray());
        }
        return result;
    }

    private static void SameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = (float.IsNaN(expected[i]) && float.IsNaN(actual[i]))
                || BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]);
            Assert.True(same, $"{what}[{i}]: expected {expected[i]:G9}, got {actual[i]:G9}.");
        }
    }

    private static void SameBits(List<float[]> expected, List<float[]> actual)
    {
        string[] names = ["y", "dx", "dgamma", "dbeta", "dresidual"];
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            SameBits(expected[i], actual[i], names[i]);
        }
    }

    public static TheoryData<int[], bool, bool> Shapes() => new()
    {
        { new[] { 1, 1, 3, 5 }, false, false },
        { new[] { 1, 1, 3, 5 }, true, true },
        { new[] { 3, 4, 5, 7 }, false, true },
        { new[] { 3, 4, 5, 7 }, true, false },
        { new[] { 3, 4, 5, 7 }, true, true },
        { new[] { 8, 6, 11, 13 }, true, true },
        { new[] { 2, 3, 8, 8 }, true, true },
        { new[] { 3, 2, 4, 2 }, false, true },
        { new[] { 5, 3 }, true, true },
        { new[] { 5, 3 }, false, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Values_and_gradients_match_a_double_precision_loop(int[] shape, bool withResidual, bool relu)
    {
        var k = Make(shape, withResidual, 1);
        var got = Run(k, relu, Fused);
        int n = shape[0], c = shape[1], s = shape.Length == 4 ? shape[2] * shape[3] : 1;
        float[] x = k.X.ToArray(), gamma = k.Gamma.ToArray(), beta = k.Beta.ToArray(), mean = k.Mean.ToArray(), variance = k.Var.ToArray();
        float[] up = k.Upstream.ToArray(), r = k.Residual?.ToArray() ?? new float[x.Length];
        var y = new double[x.Length];
        var dx = new double[x.Length];
        var dz = new double[x.Length];
        var dGamma = new double[c];
        var dBeta = new double[c];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = (i / s) % c;
            double inv = 1.0 / Math.Sqrt(variance[ch] + 1e-3);
            double z = ((x[i] - mean[ch]) * inv * gamma[ch]) + beta[ch] + r[i];
            bool pass = !relu || z > 0;
            y[i] = pass ? z : 0;
            dz[i] = pass ? up[i] : 0;
            dx[i] = dz[i] * gamma[ch] * inv;
            dGamma[ch] += dz[i] * (x[i] - mean[ch]) * inv;
            dBeta[ch] += dz[i];
        }
        Assertions.AllClose(y, got[0], 1e-5, 1e-5);
        Assertions.AllClose(dx, got[1], 1e-5, 1e-5);
        Assertions.AllClose(dGamma, got[2], 1e-4, 1e-5);
        Assertions.AllClose(dBeta, got[3], 1e-4, 1e-5);
        if (withResidual)
        {
            Assertions.AllClose(dz, got[4], 0, 0);
        }
        Assert.Equal(n * c * s, x.Length);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Values_and_gradients_are_the_unfused_chains_bit_for_bit(int[] shape, bool withResidual, bool relu)
    {
        var k = Make(shape, withResidual, 2);
        SameBits(Run(k, relu, Unfused), Run(k, relu, Fused));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_match_finite_differences(bool withResidual)
    {
        // Without the ReLU (its kink would break central differences); the ReLU's mask is checked against the loop above.
        var k = Make([2, 3, 3, 4], withResidual, 3);
        Tensor[] inputs = withResidual ? [k.X, k.Gamma, k.Beta, k.Residual!] : [k.X, k.Gamma, k.Beta];
        GradCheck.Check(t => Ops.FrozenBatchNorm(t[0], t[1], t[2], k.Mean, k.Var, 1e-3f, withResidual ? t[3] : null, relu: false), inputs);
    }

    [Fact]
    public void Gamma_zero_gives_a_zero_input_gradient_and_the_shift_plus_residual()
    {
        var k = Make([2, 3, 4, 5], withResidual: true, 4, gammaScale: 0f);
        var got = Run(k, relu: true, Fused);
        Assert.All(got[1], v => Assert.Equal(0f, v));
        SameBits(Run(k, relu: true, Unfused), got);
        var beta = k.Beta.ToArray();
        var r = k.Residual!.ToArray();
        for (int i = 0; i < r.Length; i++)
        {
            Assert.Equal(Math.Max(beta[(i / 20) % 3] + r[i], 0f), got[0][i]);
        }
    }

    [Fact]
    public void NaN_passes_through_as_in_the_unfused_chain()
    {
        var k = Make([2, 3, 4, 5], withResidual: true, 5);
        k.X.Span[7] = float.NaN;
        k.Residual!.Span[44] = float.NaN;
        k.Upstream.Span[90] = float.NaN;
        foreach (bool relu in new[] { false, true })
        {
            var got = Run(k, relu, Fused);
            Assert.True(float.IsNaN(got[0][7]) && float.IsNaN(got[0][44]));
            SameBits(Run(k, relu, Unfused), got);
        }
    }

    [Fact]
    public void A_residual_that_also_gets_another_gradient_accumulates_both()
    {
        // The residual feeds the op and, as a ResNet unit's input does, another branch: both gradients add up, and the
        // input can be the residual itself.
        var k = Make([3, 4, 5, 6], withResidual: true, 6);
        List<float[]> Grads(Func<Case, Tensor, Tensor?, bool, Tensor> op, bool selfResidual)
        {
            var x = Tensor.FromArray(k.X.ToArray(), k.X.Shape);
            var r = selfResidual ? x : Tensor.FromArray(k.Residual!.ToArray(), k.Residual.Shape);
            x.RequiresGrad = true;
            r.RequiresGrad = true;
            var y = op(k, x, r, true);
            var other = Ops.Mul(Ops.Relu(r), 3f);
            Ops.Sum(Ops.Add(Ops.Mul(y, k.Upstream), other)).Backward();
            return [y.ToArray(), x.Grad!.ToArray(), r.Grad!.ToArray()];
        }
        foreach (bool self in new[] { false, true })
        {
            var expected = Grads(Unfused, self);
            var got = Grads(Fused, self);
            for (int i = 0; i < expected.Count; i++)
            {
                SameBits(expected[i], got[i], $"part {i} (residual is the input: {self})");
            }
        }
    }

    [Fact]
    public void One_worker_range_gives_the_same_bits_as_two()
    {
        var k = Make([8, 6, 9, 11], withResidual: true, 7);
        var two = Run(k, true, Fused);
        var one = OneWorkerRange.Run(() => Run(k, true, Fused));
        SameBits(one, two);
    }

    [Fact]
    public void Without_gradients_nothing_is_recorded()
    {
        var k = Make([2, 3, 4, 5], withResidual: true, 8);
        k.Gamma.RequiresGrad = true;
        using (Tensor.NoGrad())
        {
            Assert.True(Fused(k, k.X, k.Residual, true).IsLeaf);
        }
        k.Gamma.RequiresGrad = false;
    }

    [Fact]
    public void Bad_shapes_are_rejected_with_the_argument_named()
    {
        var k = Make([2, 3, 4, 5], withResidual: false, 9);
        var e = Assert.Throws<ArgumentException>(() => Ops.FrozenBatchNorm(k.X, k.Gamma, k.Beta, k.Mean, k.Var, residual: Tensor.Zeros(2, 3, 4, 1)));
        Assert.Equal("residual", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Ops.FrozenBatchNorm(k.X, Tensor.Ones(4), k.Beta, k.Mean, k.Var));
        Assert.Equal("weight", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Ops.FrozenBatchNorm(Tensor.Zeros(2, 3, 4), k.Gamma, k.Beta, k.Mean, k.Var));
        Assert.Equal("x", e.ParamName);
    }
}

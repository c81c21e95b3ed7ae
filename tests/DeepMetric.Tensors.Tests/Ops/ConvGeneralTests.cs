using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class ConvGeneralTests
{
    // Direct double-precision definition of a grouped, padded, strided, dilated cross-correlation.
    private static double[] Reference(Tensor x, Tensor w, Tensor? b, (int H, int W) s, (int T, int L, int B, int R) p, (int H, int W) d, int groups)
    {
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), wd = x.Dim(3), o = w.Dim(0), cg = w.Dim(1), kh = w.Dim(2), kw = w.Dim(3);
        int ho = ((h + p.T + p.B - (((kh - 1) * d.H) + 1)) / s.H) + 1, wo = ((wd + p.L + p.R - (((kw - 1) * d.W) + 1)) / s.W) + 1;
        var xs = x.ToArray();
        var ws = w.ToArray();
        var bs = b?.ToArray();
        var y = new double[n * o * ho * wo];
        int og = o / groups;
        for (int img = 0; img < n; img++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                int g = oc / og;
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        double acc = bs?[oc] ?? 0;
                        for (int ci = 0; ci < cg; ci++)
                        {
                            int ic = (g * cg) + ci;
                            for (int i = 0; i < kh; i++)
                            {
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = (oh * s.H) - p.T + (i * d.H), iw = (ow * s.W) - p.L + (j * d.W);
                                    if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
                                    {
                                        acc += (double)xs[(((img * c) + ic) * h + ih) * wd + iw] * ws[(((oc * cg) + ci) * kh + i) * kw + j];
                                    }
                                }
                            }
                        }
                        y[(((img * o) + oc) * ho + oh) * wo + ow] = acc;
                    }
                }
            }
        }
        return y;
    }

    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Cases => new()
    {
        // c, o, groups, k, stride, padT, padL, padB, padR, dilation
        { 3, 4, 1, 3, 1, 1, 1, 1, 1, 1 },
        { 3, 4, 1, 3, 2, 1, 1, 0, 0, 1 },   // asymmetric (TensorFlow/CNTK "same" style)
        { 3, 4, 1, 3, 1, 0, 2, 1, 0, 2 },   // dilated, uneven pads
        { 4, 4, 4, 3, 1, 1, 1, 1, 1, 1 },   // depthwise
        { 4, 8, 4, 3, 2, 1, 1, 1, 1, 1 },   // depthwise with multiplier 2, stride 2
        { 4, 4, 4, 5, 2, 2, 1, 2, 1, 1 },   // depthwise 5×5 asymmetric
        { 4, 4, 4, 3, 1, 2, 2, 2, 2, 2 },   // depthwise dilated
        { 4, 6, 2, 3, 1, 1, 0, 1, 0, 1 },   // two groups
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_definition_and_gradients_match_finite_differences(int c, int o, int groups, int k, int stride, int pt, int pl, int pb, int pr, int dil)
    {
        var x = GradCheck.Random(1, [2, c, 7, 6]);
        var w = GradCheck.Random(2, [o, c / groups, k, k]);
        var b = GradCheck.Random(3, [o]);
        var y = Ops.Conv2dGeneral(x, w, b, (stride, stride), (pt, pl, pb, pr), (dil, dil), groups);
        var expected = Reference(x, w, b, (stride, stride), (pt, pl, pb, pr), (dil, dil), groups);
        Assertions.AllClose(expected, y.ToArray(), 1e-4, 1e-4);
        GradCheck.Check(t => Ops.Conv2dGeneral(t[0], t[1], t[2], (stride, stride), (pt, pl, pb, pr), (dil, dil), groups), [x, w, b]);
    }

    [Fact]
    public void Depthwise_takes_different_strides_per_axis()
    {
        var x = GradCheck.Random(4, [1, 2, 7, 8]);
        var w = GradCheck.Random(5, [2, 1, 3, 2]);
        var y = Ops.Conv2dGeneral(x, w, null, (2, 1), (1, 0, 1, 1), (1, 2), 2);
        Assertions.AllClose(Reference(x, w, null, (2, 1), (1, 0, 1, 1), (1, 2), 2), y.ToArray(), 1e-4, 1e-4);
        GradCheck.Check(t => Ops.Conv2dGeneral(t[0], t[1], null, (2, 1), (1, 0, 1, 1), (1, 2), 2), [x, w]);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_are_rejected()
    {
        var x = Tensor.Zeros(1, 3, 5, 5);
        var w = Tensor.Zeros(4, 1, 3, 3);
        var e = Assert.Throws<ArgumentException>(() => Ops.Conv2dGeneral(x, w, null, (1, 1), (0, 0, 0, 0), (1, 1), 2));
        Assert.Contains("groups", e.Message, StringComparison.Ordinal);
    }
}

using DeepMetric.Tensors.Nn;

namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>The definition of a 2-D convolution and its gradients, as plain loops in double precision: the expected side of the conv tests.</summary>
public static class ConvReference
{
    /// <summary>
    /// Output, input gradient, weight gradient and bias gradient of y = conv(x, w) + b with pads (top, left, bottom,
    /// right), stride and dilation, for the output gradient g, all in double precision. A NaN output gradient reaches
    /// the weight gradient through padding zeros too (0 · NaN), as it does in a product over padded columns.
    /// </summary>
    public static (double[] Y, double[] Dx, double[] Dw, double[] Db) Conv2d(float[] x, int n, int c, int h, int w,
        float[] wt, int o, int kh, int kw, float[] b, int s, int d, (int T, int L, int B, int R) pads, float[] g)
    {
        int ho = ((h + pads.T + pads.B - (d * (kh - 1)) - 1) / s) + 1;
        int wo = ((w + pads.L + pads.R - (d * (kw - 1)) - 1) / s) + 1;
        var y = new double[n * o * ho * wo];
        var dx = new double[x.Length];
        var dw = new double[wt.Length];
        var db = new double[o];
        for (int ni = 0; ni < n; ni++)
        {
            for (int oc = 0; oc < o; oc++)
            {
                for (int oh = 0; oh < ho; oh++)
                {
                    for (int ow = 0; ow < wo; ow++)
                    {
                        int yi = (((ni * o) + oc) * ho + oh) * wo + ow;
                        double go = g[yi], acc = b[oc];
                        db[oc] += go;
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = (oh * s) - pads.T + (i * d), iw = (ow * s) - pads.L + (j * d);
                                    int wi = (((oc * c) + ci) * kh + i) * kw + j;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                                    {
                                        // A padding zero: a NaN output gradient still reaches the weight gradient.
                                        dw[wi] += go * 0.0;
                                        continue;
                                    }
                                    int xi = (((ni * c) + ci) * h + ih) * w + iw;
                                    acc += (double)x[xi] * wt[wi];
                                    dx[xi] += go * wt[wi];
                                    dw[wi] += go * x[xi];
                                }
                            }
                        }
                        y[yi] = acc;
                    }
                }
            }
        }
        return (y, dx, dw, db);
    }

    /// <summary><see cref="Conv2d"/> for a 3×3 kernel, stride 1, the same padding on every side.</summary>
    public static (double[] Y, double[] Dx, double[] Dw, double[] Db) Conv3x3(float[] x, float[] wt, float[] b, float[] g,
        int n, int c, int o, int h, int w, int pad) =>
        Conv2d(x, n, c, h, w, wt, o, 3, 3, b, 1, 1, (pad, pad, pad, pad), g);

    /// <summary>The output of <see cref="Conv2d"/> alone, for a square k×k kernel without dilation.</summary>
    public static double[] Forward(float[] x, int n, int c, int h, int w, float[] wt, float[] b, int o, int k, int stride,
        (int T, int L, int B, int R) pads)
    {
        int ho = ((h + pads.T + pads.B - k) / stride) + 1, wo = ((w + pads.L + pads.R - k) / stride) + 1;
        return Conv2d(x, n, c, h, w, wt, o, k, k, b, stride, 1, pads, new float[n * o * ho * wo]).Y;
    }
}

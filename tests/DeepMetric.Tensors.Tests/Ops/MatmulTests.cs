using DeepMetric.Tensors.Tests.TestUtil;

namespace DeepMetric.Tensors.Tests;

public sealed class MatmulTests
{
    public static TheoryData<bool, bool> TransposeCombos => new()
    {
        { false, false }, { false, true }, { true, false }, { true, true },
    };

    /// <summary>op(A)·op(B) for one batch item in double; A stored [ar, ac] at offset ao.</summary>
    private static double[] Reference(float[] a, int ao, int ar, int ac, bool transA, float[] b, int bo, int br, int bc, bool transB)
    {
        int m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[ao + (p * ac) + i] : a[ao + (i * ac) + p];
                    double bv = transB ? b[bo + (j * bc) + p] : b[bo + (p * bc) + j];
                    s += av * bv;
                }
                r[(i * n) + j] = s;
            }
        }
        return r;
    }

    private static int[] Stored(int rows, int cols, bool trans) => trans ? [cols, rows] : [rows, cols];

    [Fact]
    public void TwoByTwoByHand()
    {
        var a = Tensor.FromArray([1, 2, 3, 4], 2, 2);
        var b = Tensor.FromArray([5, 6, 7, 8], 2, 2);
        Assertions.AllClose([19f, 22, 43, 50], Ops.Matmul(a, b).ToArray());
        Assertions.AllClose([17f, 23, 39, 53], Ops.Matmul(a, b, false, true).ToArray());
        Assertions.AllClose([26f, 30, 38, 44], Ops.Matmul(a, b, true, false).ToArray());
        Assertions.AllClose([23f, 31, 34, 46], Ops.Matmul(a, b, true, true).ToArray());
    }

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void TwoDimensional(bool transA, bool transB)
    {
        int m = 3, k = 4, n = 5;
        var a = GradCheck.Random(31, Stored(m, k, transA));
        var b = GradCheck.Random(32, Stored(k, n, transB));
        var y = Ops.Matmul(a, b, transA, transB);
        Assert.Equal([m, n], y.Shape);
        Assertions.AllClose(Reference(a.ToArray(), 0, a.Dim(0), a.Dim(1), transA, b.ToArray(), 0, b.Dim(0), b.Dim(1), transB), y.ToArray());
        GradCheck.Check(x => Ops.Matmul(x[0], x[1], transA, transB), [a, b]);
    }

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void Batched(bool transA, bool transB)
    {
        int batch = 3, m = 2, k = 4, n = 3;
        var a = GradCheck.Random(33, [batch, .. Stored(m, k, transA)]);
        var b = GradCheck.Random(34, [batch, .. Stored(k, n, transB)]);
        var y = Ops.Matmul(a, b, transA, transB);
        Assert.Equal([batch, m, n], y.Shape);
        var ys = y.ToArray();
        for (int i = 0; i < batch; i++)
        {
            var r = Reference(a.ToArray(), i * m * k, a.Dim(1), a.Dim(2), transA, b.ToArray(), i * k * n, b.Dim(1), b.Dim(2), transB);
            Assertions.AllClose(r, ys.AsSpan(i * m * n, m * n));
        }
        GradCheck.Check(x => Ops.Matmul(x[0], x[1], transA, transB), [a, b]);
    }

    [Theory]
    [MemberData(nameof(TransposeCombos))]
    public void SharedRightOperand(bool transA, bool transB)
    {
        foreach (int batch in new[] { 1, 3 })
        {
            int m = 2, k = 3, n = 4;
            var a = GradCheck.Random(35, [batch, .. Stored(m, k, transA)]);
            var b = GradCheck.Random(36, Stored(k, n, transB));
            var y = Ops.Matmul(a, b, transA, transB);
            Assert.Equal([batch, m, n], y.Shape);
            var ys = y.ToArray();
            for (int i = 0; i < batch; i++)
            {
                var r = Reference(a.ToArray(), i * m * k, a.Dim(1), a.Dim(2), transA, b.ToArray(), 0, b.Dim(0), b.Dim(1), transB);
                Assertions.AllClose(r, ys.AsSpan(i * m * n, m * n));
            }
            GradCheck.Check(x => Ops.Matmul(x[0], x[1], transA, transB), [a, b]);
        }
    }

    [Fact]
    public void LinearWithAndWithoutBias()
    {
        var x = GradCheck.Random(37, [3, 4]);
        var w = GradCheck.Random(38, [5, 4]);
        var bias = GradCheck.Random(39, [5]);
        var y = Ops.Linear(x, w, bias);
        var r = Reference(x.ToArray(), 0, 3, 4, false, w.ToArray(), 0, 5, 4, true);
        for (int i = 0; i < r.Length; i++)
        {
            r[i] += bias[i % 5];
        }
        Assertions.AllClose(r, y.ToArray());
        GradCheck.Check(t => Ops.Linear(t[0], t[1], t[2]), [x, w, bias]);
        GradCheck.Check(t => Ops.Linear(t[0], t[1]), [x, w]);
        Assert.Throws<ArgumentException>(() => Ops.Linear(x, Tensor.Zeros(5, 3)));
    }

    [Fact]
    public void MismatchedShapesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Ops.Matmul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 2)));
        Assert.Throws<ArgumentException>(() => Ops.Matmul(Tensor.Zeros(2, 2, 3), Tensor.Zeros(3, 3, 2)));
        Assert.Throws<ArgumentException>(() => Ops.Matmul(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3, 2)));
        Assert.Throws<ArgumentException>(() => Ops.Matmul(Tensor.Zeros(3), Tensor.Zeros(3, 2)));
    }

    [Fact]
    public void GradientOfSharedOperandAccumulatesOverBatch()
    {
        var a = Tensor.Ones(2, 1, 2);
        var b = Tensor.FromArray([1f, 2f], 2, 1);
        b.RequiresGrad = true;
        Ops.Sum(Ops.Matmul(a, b)).Backward();
        Assertions.AllClose([2f, 2f], b.Grad!.ToArray());
    }
}

using DeepMetric.Analysis;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tests.Analysis;

public sealed class QuadTreeTests
{
    [Fact]
    public void HandBuiltPoints_CountsAndCentresOfMass()
    {
        // Corners of the unit square, one point near the origin and a duplicate of (1, 1).
        double[] y = [0, 0, 1, 0, 0, 1, 1, 1, 0.1, 0.1, 1, 1];
        var tree = new QuadTree();
        tree.Build(y, 6);
        Assert.Equal(6, tree.CountOf(0));
        (double rx, double ry) = tree.CentreOfMass(0);
        Assert.Equal(3.1 / 6, rx, 12);
        Assert.Equal(3.1 / 6, ry, 12);
        (double cx, double cy, double half) = tree.Cell(0);
        Assert.Equal(0.5, cx, 12);
        Assert.Equal(0.5, cy, 12);
        Assert.True(half >= 0.5 && half < 0.5001);

        int c = tree.FirstChild(0);
        Assert.True(c > 0);
        // Quadrants: 0 = low x low y, 1 = high x, 2 = high y, 3 = both high.
        Assert.Equal(2, tree.CountOf(c));
        Assert.Equal((0.05, 0.05), Round(tree.CentreOfMass(c)));
        Assert.Equal(1, tree.CountOf(c + 1));
        Assert.Equal((1.0, 0.0), Round(tree.CentreOfMass(c + 1)));
        Assert.Equal(1, tree.CountOf(c + 2));
        Assert.Equal((0.0, 1.0), Round(tree.CentreOfMass(c + 2)));
        Assert.Equal(2, tree.CountOf(c + 3));
        Assert.Equal((1.0, 1.0), Round(tree.CentreOfMass(c + 3)));

        // Duplicates share one leaf; distinct points get their own.
        Assert.Equal(-1, tree.FirstChild(c + 3));
        Assert.Equal(c + 3, tree.LeafOf(3));
        Assert.Equal(c + 3, tree.LeafOf(5));
        Assert.True(tree.FirstChild(c) > 0);
        Assert.NotEqual(tree.LeafOf(0), tree.LeafOf(4));
        Assert.Equal(1, tree.CountOf(tree.LeafOf(0)));
        Assert.Equal(1, tree.CountOf(tree.LeafOf(4)));
    }

    [Fact]
    public void Repulsion_ThetaZeroIsExact_ThetaHalfIsClose()
    {
        const int n = 200;
        var rng = new Prng(3);
        var y = new double[2 * n];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = 5 * rng.NextNormal();
        }
        y[2] = y[0];
        y[3] = y[1];
        var tree = new QuadTree();
        tree.Build(y, n);
        Span<int> stack = stackalloc int[tree.StackSize];
        double zExact = 0, zHalf = 0, errSum = 0, normSum = 0;
        for (int i = 0; i < n; i++)
        {
            double ex = 0, ey = 0, ez = 0;
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                {
                    double dx = y[2 * i] - y[2 * j], dy = y[(2 * i) + 1] - y[(2 * j) + 1];
                    double q = 1 / (1 + (dx * dx) + (dy * dy));
                    ez += q;
                    ex += q * q * dx;
                    ey += q * q * dy;
                }
            }
            double fx = 0, fy = 0;
            double z0 = tree.Repulsion(i, y[2 * i], y[(2 * i) + 1], 0, stack, ref fx, ref fy);
            Assert.Equal(ez, z0, 10);
            Assert.Equal(ex, fx, 10);
            Assert.Equal(ey, fy, 10);
            double hx = 0, hy = 0;
            zHalf += tree.Repulsion(i, y[2 * i], y[(2 * i) + 1], 0.5, stack, ref hx, ref hy);
            zExact += ez;
            errSum += Math.Sqrt(((hx - ex) * (hx - ex)) + ((hy - ey) * (hy - ey)));
            normSum += Math.Sqrt((ex * ex) + (ey * ey));
        }
        Assert.True(Math.Abs(zHalf - zExact) < 0.02 * zExact, $"Z {zHalf} vs {zExact}");
        Assert.True(errSum < 0.05 * normSum, $"force error {errSum / normSum}");
    }

    [Fact]
    public void AllPointsEqual_OneLeaf()
    {
        double[] y = [2, 3, 2, 3, 2, 3];
        var tree = new QuadTree();
        tree.Build(y, 3);
        Assert.Equal(1, tree.NodeCount);
        Assert.Equal(3, tree.CountOf(0));
        Span<int> stack = stackalloc int[tree.StackSize];
        double fx = 0, fy = 0;
        // Two coincident others: each contributes (1 + 0)⁻¹ to Z and no force.
        Assert.Equal(2, tree.Repulsion(1, 2, 3, 0.5, stack, ref fx, ref fy));
        Assert.Equal(0, fx);
        Assert.Equal(0, fy);
    }

    private static (double, double) Round((double X, double Y) p) => (Math.Round(p.X, 12), Math.Round(p.Y, 12));
}

using System.Numerics.Tensors;

namespace DeepMetric.Tensors;

public static partial class Ops
{
    /// <summary>
    /// A pivot smaller than this fraction of the matrix's largest absolute entry marks the matrix as singular or too
    /// ill-conditioned for a float32 result to mean anything (its inverse would exceed ~10¹⁰ relative to the entries).
    /// </summary>
    private const double PivotTolerance = 1e-10;

    /// <summary>
    /// The inverse A⁻¹ of a square matrix A [n, n], by Gauss–Jordan elimination with partial pivoting in double
    /// precision. Backward: dA = −A⁻ᵀ·G·A⁻ᵀ.
    /// </summary>
    /// <exception cref="ArgumentException">A is not a finite [n, n] matrix, or it is singular / ill-conditioned (the
    /// message names the failing pivot).</exception>
    public static Tensor Inverse(Tensor a)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = CheckSquare(a, nameof(a), "Inverse");
        var m = ToDouble(a, transpose: false);
        var rhs = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            rhs[(i * n) + i] = 1.0;
        }
        GaussJordan(m, rhs, n, n, nameof(a), "Inverse");
        var y = ToFloat(rhs);
        var result = Tensor.Record(y, [n, n], "Inverse", a, g =>
        {
            if (!a.RequiresGrad)
            {
                return;
            }
            // dA = −Yᵀ·G·Yᵀ with Y = A⁻¹ (two float GEMMs; Y is already rounded to float).
            var tmp = TensorBuffers.Uninitialized(n * n);
            Gemm.Multiply(true, false, n, n, n, 1f, y, n, g.ReadOnlySpan, n, 0f, tmp, n);
            var ga = TensorBuffers.Uninitialized(n * n);
            Gemm.Multiply(false, true, n, n, n, -1f, tmp, n, y, n, 0f, ga, n);
            a.AccumulateGrad(new Tensor(ga, [n, n]));
        });
        return result;
    }

    /// <summary>
    /// The solution X [n, m] of A·X = B for a square A [n, n] and B [n, m], by Gauss–Jordan elimination with partial
    /// pivoting in double precision (no explicit inverse). Backward: dB = A⁻ᵀ·G (a second solve with Aᵀ) and
    /// dA = −dB·Xᵀ.
    /// </summary>
    /// <exception cref="ArgumentException">A is not a finite [n, n] matrix, B is not a finite [n, m] matrix, or A is
    /// singular / ill-conditioned (the message names the failing pivot).</exception>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int n = CheckSquare(a, nameof(a), "Solve");
        if (b.Rank != 2 || b.Dims[0] != n)
        {
            throw new ArgumentException($"Solve: b must have shape [{n}, m] to match a {ShapeUtil.Format(a.Dims)}; got {ShapeUtil.Format(b.Dims)}.", nameof(b));
        }
        CheckFinite(b, nameof(b), "Solve");
        int m = b.Dims[1];
        var rhs = ToDouble(b, transpose: false);
        GaussJordan(ToDouble(a, transpose: false), rhs, n, m, nameof(a), "Solve");
        var x = ToFloat(rhs);
        return Tensor.Record(x, [n, m], "Solve", [a, b], g =>
        {
            if (!a.RequiresGrad && !b.RequiresGrad)
            {
                return;
            }
            // dB = A⁻ᵀ·G: solve Aᵀ·dB = G in double (Aᵀ is as well conditioned as A, so this cannot fail).
            var gb = ToDouble(g, transpose: false);
            GaussJordan(ToDouble(a, transpose: true), gb, n, m, nameof(a), "Solve (backward)");
            var gbf = ToFloat(gb);
            if (a.RequiresGrad)
            {
                // dA = −dB·Xᵀ.
                var ga = TensorBuffers.Uninitialized(n * n);
                Gemm.Multiply(false, true, n, n, m, -1f, gbf, m, x, m, 0f, ga, n);
                a.AccumulateGrad(new Tensor(ga, [n, n]));
            }
            if (b.RequiresGrad)
            {
                b.AccumulateGrad(new Tensor(gbf, [n, m]));
            }
        });
    }

    private static int CheckSquare(Tensor a, string paramName, string op)
    {
        if (a.Rank != 2 || a.Dims[0] != a.Dims[1] || a.Dims[0] == 0)
        {
            throw new ArgumentException($"{op}: {paramName} must be a non-empty square matrix [n, n]; got {ShapeUtil.Format(a.Dims)}.", paramName);
        }
        CheckFinite(a, paramName, op);
        return a.Dims[0];
    }

    private static void CheckFinite(Tensor t, string paramName, string op)
    {
        var s = t.ReadOnlySpan;
        for (int i = 0; i < s.Length; i++)
        {
            if (!float.IsFinite(s[i]))
            {
                throw new ArgumentException($"{op}: {paramName} must be finite; element {i} is {s[i]}.", paramName);
            }
        }
    }

    /// <summary>The [r, c] tensor as doubles, row-major (transposed to [c, r] when asked).</summary>
    private static double[] ToDouble(Tensor t, bool transpose)
    {
        var s = t.ReadOnlySpan;
        var d = new double[s.Length];
        if (!transpose)
        {
            for (int i = 0; i < s.Length; i++)
            {
                d[i] = s[i];
            }
            return d;
        }
        int r = t.Dims[0], c = t.Dims[1];
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < c; j++)
            {
                d[(j * r) + i] = s[(i * c) + j];
            }
        }
        return d;
    }

    /// <summary>
    /// Reduces [A | B] (A n×n, B n×m, both row-major, overwritten) until A is the identity, so B holds A⁻¹·B.
    /// Partial pivoting: each column's pivot is its largest remaining entry in absolute value.
    /// </summary>
    private static void GaussJordan(double[] a, double[] b, int n, int m, string paramName, string op)
    {
        double scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[i]));
        }
        double tol = PivotTolerance * scale;
        for (int col = 0; col < n; col++)
        {
            int pivotRow = col;
            double best = Math.Abs(a[(col * n) + col]);
            for (int r = col + 1; r < n; r++)
            {
                double v = Math.Abs(a[(r * n) + col]);
                if (v > best)
                {
                    best = v;
                    pivotRow = r;
                }
            }
            if (best <= tol)
            {
                throw new ArgumentException(
                    $"{op}: {paramName} is singular or ill-conditioned: pivot {col} (column {col}) is {best:G3} after elimination, " +
                    $"below {PivotTolerance:G1} × the largest entry {scale:G3}.", paramName);
            }
            if (pivotRow != col)
            {
                SwapRows(a, pivotRow, col, n);
                SwapRows(b, pivotRow, col, m);
            }
            double inv = 1.0 / a[(col * n) + col];
            var prow = a.AsSpan(col * n, n);
            var brow = b.AsSpan(col * m, m);
            TensorPrimitives.Multiply(prow, inv, prow);
            TensorPrimitives.Multiply(brow, inv, brow);
            for (int r = 0; r < n; r++)
            {
                double f = a[(r * n) + col];
                if (r == col || f == 0)
                {
                    continue;
                }
                var arow = a.AsSpan(r * n, n);
                var rrow = b.AsSpan(r * m, m);
                // Columns left of col are already zero in the pivot row, so start at col.
                TensorPrimitives.MultiplyAdd(prow[col..], -f, arow[col..], arow[col..]);
                TensorPrimitives.MultiplyAdd(brow, -f, rrow, rrow);
            }
        }
    }

    private static void SwapRows(double[] m, int r0, int r1, int width)
    {
        var x = m.AsSpan(r0 * width, width);
        var y = m.AsSpan(r1 * width, width);
        for (int j = 0; j < width; j++)
        {
            (x[j], y[j]) = (y[j], x[j]);
        }
    }
}

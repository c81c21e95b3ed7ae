using System.Numerics.Tensors;

namespace DeepMetric.Tensors;

/// <summary>The managed SGEMM used when no BLAS library is available (row-major).</summary>
internal static class ManagedGemm
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Bring both operands to plain row-major layout, then C_i += α·a_ip·B_p row by row.
        float[]? at = null, bt = null;
        if (transA)
        {
            at = new float[m * k];
            for (int p = 0; p < k; p++)
            {
                for (int i = 0; i < m; i++)
                {
                    at[(i * k) + p] = a[(p * lda) + i];
                }
            }
            a = at;
            lda = k;
        }
        if (transB)
        {
            bt = new float[k * n];
            for (int j = 0; j < n; j++)
            {
                for (int p = 0; p < k; p++)
                {
                    bt[(p * n) + j] = b[(j * ldb) + p];
                }
            }
            b = bt;
            ldb = n;
        }
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * ldc, n);
            if (beta == 0)
            {
                crow.Clear();
            }
            else if (beta != 1)
            {
                TensorPrimitives.Multiply(crow, beta, crow);
            }
            for (int p = 0; p < k; p++)
            {
                TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), alpha * a[(i * lda) + p], crow, crow);
            }
        }
    }
}

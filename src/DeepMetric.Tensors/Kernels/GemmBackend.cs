namespace DeepMetric.Tensors;

/// <summary>Which implementation computes matrix products.</summary>
public enum GemmBackend
{
    /// <summary>OpenBLAS (or another CBLAS) through P/Invoke.</summary>
    OpenBlas,

    /// <summary>The built-in register-blocked SIMD kernel.</summary>
    Managed,
}

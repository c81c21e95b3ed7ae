namespace DeepMetric.Tensors.Autograd;

/// <summary>
/// While alive, operations record no graph (as <c>torch.no_grad()</c>). Dispose to restore.
/// Scopes nest and are per thread.
/// </summary>
public readonly struct NoGradScope : IDisposable
{
    [ThreadStatic]
    private static int s_depth;

    private readonly bool _active;

    private NoGradScope(bool active) => _active = active;

    /// <summary>True when the current thread records gradients.</summary>
    public static bool GradEnabled => s_depth == 0;

    internal static NoGradScope Enter()
    {
        s_depth++;
        return new NoGradScope(true);
    }

    /// <summary>Leaves the scope.</summary>
    public void Dispose()
    {
        if (_active)
        {
            s_depth--;
        }
    }
}

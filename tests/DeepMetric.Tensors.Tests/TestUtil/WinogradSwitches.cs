namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>Runs code on a chosen Winograd path and restores every switch afterwards.</summary>
public static class WinogradSwitches
{
    /// <summary>
    /// Runs <paramref name="body"/> with Winograd forced on, <see cref="Winograd.ForceBandRows"/> set to
    /// <paramref name="rows"/> (0: bands chosen by shape), the portable transforms when <paramref name="scalar"/>, and the
    /// kernels' worker ranges on or off. The scalar switch is per thread, so scalar runs want <paramref name="parallel"/>
    /// off: with one range everything runs on this thread.
    /// </summary>
    public static T Run<T>(int rows, bool scalar, bool parallel, Func<T> body)
    {
        bool wasParallel = KernelThreads.Parallel;
        Winograd.ForceWinograd = true;
        Winograd.ForceBandRows = rows;
        Winograd.ForceScalar = scalar;
        KernelThreads.Parallel = parallel;
        try
        {
            return body();
        }
        finally
        {
            Winograd.ForceWinograd = false;
            Winograd.ForceBandRows = 0;
            Winograd.ForceScalar = false;
            KernelThreads.Parallel = wasParallel;
        }
    }
}

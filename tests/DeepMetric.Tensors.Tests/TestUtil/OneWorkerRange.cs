namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>
/// Runs code with the kernels' worker ranges turned off (everything on the calling thread), restoring the setting
/// afterwards: the reference side of the "one thread gives the same bits as two" tests.
/// </summary>
public static class OneWorkerRange
{
    public static T Run<T>(Func<T> action)
    {
        bool before = KernelThreads.Parallel;
        KernelThreads.Parallel = false;
        try
        {
            return action();
        }
        finally
        {
            KernelThreads.Parallel = before;
        }
    }
}

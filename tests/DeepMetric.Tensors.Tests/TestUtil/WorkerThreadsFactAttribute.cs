namespace DeepMetric.Tensors.Tests.TestUtil;

/// <summary>A fact about kernel worker ranges on other threads; reported as skipped where they run on one thread.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class WorkerThreadsFactAttribute : FactAttribute
{
    public WorkerThreadsFactAttribute()
    {
        if (!KernelThreads.Parallel)
        {
            Skip = "Kernel worker ranges run on the calling thread here (one processor, or DEEPMETRIC_KERNEL_THREADS=1).";
        }
    }
}

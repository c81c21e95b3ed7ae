namespace DeepMetric.Tensors;

/// <summary>
/// Splits a kernel's independent work items (images, planes) into contiguous ranges and runs them on worker threads.
/// The split depends only on the item count, never on the machine or on timing, and callers combine per-range partial
/// sums in range order: results are the same on every machine, whether the ranges run in parallel or one by one.
/// </summary>
internal static class KernelThreads
{
    // Ranges per split: the two vCPUs this engine is tuned for. Fixed, so reductions do not depend on the machine.
    private const int Split = 2;

    // Below this many items per range the hand-off costs more than it saves.
    private const int MinItemsPerRange = 4;

    [ThreadStatic]
    private static bool t_inWorker;

    /// <summary>
    /// When false, the ranges run one after another on the calling thread (same results). Defaults to true on machines
    /// with more than one processor, unless the environment variable DEEPMETRIC_KERNEL_THREADS is 1.
    /// </summary>
    public static bool Parallel { get; set; } =
        Environment.ProcessorCount > 1 && Environment.GetEnvironmentVariable("DEEPMETRIC_KERNEL_THREADS") != "1";

    /// <summary>True when <see cref="For"/> over <paramref name="count"/> items would run on more than one thread.</summary>
    public static bool WouldSplit(int count) => Ranges(count) > 1 && Parallel && !t_inWorker;

    /// <summary>The number of ranges <see cref="For"/> splits <paramref name="count"/> items into.</summary>
    public static int Ranges(int count) => count >= Split * MinItemsPerRange ? Split : 1;

    /// <summary>
    /// Runs <paramref name="body"/>(range, start, end) over <see cref="Ranges"/>(<paramref name="count"/>) contiguous
    /// ranges of [0, count), in parallel when allowed (the first on the calling thread). Each thread has its own
    /// <see cref="Scratch"/> buffers.
    /// </summary>
    public static void For(int count, Action<int, int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        int ranges = Ranges(count);
        if (ranges == 1 || !Parallel || t_inWorker)
        {
            for (int r = 0; r < ranges; r++)
            {
                body(r, Start(count, r, ranges), Start(count, r + 1, ranges));
            }
            return;
        }
        // Buffers a range allocates belong to the caller's scope (and pool), whichever thread runs the range.
        var scope = TensorScope.ForBuffers;
        System.Threading.Tasks.Parallel.For(0, ranges, r =>
        {
            bool outer = t_inWorker;
            t_inWorker = true;
            var borrowed = TensorScope.Borrow(scope);
            try
            {
                body(r, Start(count, r, ranges), Start(count, r + 1, ranges));
            }
            finally
            {
                TensorScope.EndBorrow(borrowed);
                t_inWorker = outer;
            }
        });
    }

    /// <summary>
    /// Runs two independent pieces of work, in parallel when allowed (<paramref name="first"/> on the calling thread),
    /// otherwise one after the other. Each runs as a worker range: kernels inside it do not split again.
    /// </summary>
    public static void Pair(Action first, Action second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (!Parallel || t_inWorker || Split < 2)
        {
            first();
            second();
            return;
        }
        // Exactly Split ranges; the first two carry the work.
        For(Split * MinItemsPerRange, (r, _, _) =>
        {
            if (r == 0)
            {
                first();
            }
            else if (r == 1)
            {
                second();
            }
        });
    }

    private static int Start(int count, int range, int ranges) => (int)((long)count * range / ranges);
}

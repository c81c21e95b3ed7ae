namespace DeepMetric.Tensors;

/// <summary>
/// An opt-in arena for training loops: while a scope is open on a thread, the large buffers that ops allocate
/// (activations, gradients, scratch) come from a per-thread pool, and disposing the scope hands them all back,
/// so the next step reuses the same memory instead of asking the GC for tens of megabytes of fresh pages.
/// </summary>
/// <remarks>
/// <para>Everything an op computed inside the scope is invalid after <see cref="Dispose"/> unless it was passed to
/// <see cref="Keep"/> (or copied with <see cref="Tensor.Clone"/>). Read what you need (<c>loss.Item()</c>,
/// <c>ToArray()</c>) before the scope ends. Parameters, optimizer state, module buffers and tensors created
/// with <see cref="Tensor"/> factory methods are never pooled, and leaf gradients are kept.</para>
/// <para>The same idea as TorchSharp's dispose scopes; without a scope, memory is managed by the GC as usual.</para>
/// </remarks>
/// <example><code>
/// using (var scope = TensorScope.Enter())
/// {
///     var loss = lossFn.Compute(model.Forward(x), labels);
///     loss.Backward();
///     optimizer.Step();
///     total += loss.Item();
/// }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic]
    private static TensorScope? t_current;

    // The scope of the thread whose kernel this worker thread is running a range of (see KernelThreads.For).
    [ThreadStatic]
    private static TensorScope? t_borrowed;

    private readonly TensorScope? _parent;
    private readonly List<float[]> _owned = [];
    private readonly HashSet<float[]> _kept = new(ReferenceEqualityComparer.Instance);
    private readonly int _threadId;
    private bool _disposed;

    private TensorScope(TensorScope? parent)
    {
        _parent = parent;
        _threadId = Environment.CurrentManagedThreadId;
        Pool = TensorBuffers.ThreadPool;
    }

    /// <summary>The innermost open scope of this thread, or null.</summary>
    internal static TensorScope? Current => t_current;

    /// <summary>The scope new buffers belong to: this thread's own, else the one a kernel worker borrowed from its caller.</summary>
    internal static TensorScope? ForBuffers => t_current ?? t_borrowed;

    /// <summary>The pool of the thread that opened this scope: buffers are rented from it and handed back to it.</summary>
    internal TensorBuffers.Pool Pool { get; }

    /// <summary>
    /// Lets a kernel worker thread allocate into <paramref name="scope"/> (its caller's) until the returned value is passed
    /// to <see cref="EndBorrow"/>; returns what the thread borrowed before.
    /// </summary>
    internal static TensorScope? Borrow(TensorScope? scope)
    {
        var before = t_borrowed;
        t_borrowed = scope;
        return before;
    }

    /// <summary>Restores what <see cref="Borrow"/> returned.</summary>
    internal static void EndBorrow(TensorScope? before) => t_borrowed = before;

    /// <summary>Opens a scope on the current thread (scopes nest).</summary>
    public static TensorScope Enter() => t_current = new TensorScope(t_current);

    /// <summary>Number of pooled buffers this scope will hand back.</summary>
    public int BufferCount => _owned.Count;

    /// <summary>
    /// Keeps <paramref name="tensor"/>'s storage alive past this scope (it moves to the enclosing scope, if any).
    /// Returns the tensor for chaining.
    /// </summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        _kept.Add(tensor.Buffer);
        return tensor;
    }

    /// <summary>
    /// Storage for the output or gradient of a custom op (see <see cref="Autograd.CustomOp"/>) that comes from the pool
    /// the engine's own ops use: inside an open scope, an array of 16 K floats or more is taken from this thread's pool
    /// and handed back when the innermost scope is disposed, so a training step reuses the memory of the previous one;
    /// smaller arrays, and every array outside a scope, are ordinary fresh arrays.
    /// </summary>
    /// <remarks>
    /// The pool recycles exact lengths: when the length changes from batch to batch, round it up (and wrap the prefix
    /// with <see cref="Tensor.WrapView"/>) so consecutive steps can share the array. Do not use the array after the
    /// scope ends unless a tensor over it was passed to <see cref="Keep"/>.
    /// </remarks>
    /// <param name="length">Number of floats (exactly this many).</param>
    /// <param name="clear">True (the default) for zeros; false leaves the contents unspecified, for storage the caller overwrites entirely.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static float[] Allocate(int length, bool clear = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return clear ? TensorBuffers.Zeroed(length) : TensorBuffers.Uninitialized(length);
    }

    internal void Track(float[] buffer)
    {
        // Kernel workers borrowing this scope track their buffers concurrently with its thread.
        lock (_owned)
        {
            _owned.Add(buffer);
        }
    }

    /// <summary>Stops tracking <paramref name="buffer"/> (it now belongs to a long-lived tensor such as a leaf gradient).</summary>
    internal void Release(float[] buffer)
    {
        for (var s = this; s is not null; s = s._parent)
        {
            s._kept.Add(buffer);
        }
    }

    /// <summary>Returns every pooled buffer not kept to the pool and closes the scope.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        if (Environment.CurrentManagedThreadId != _threadId || !ReferenceEquals(t_current, this))
        {
            throw new InvalidOperationException("TensorScope must be disposed on the thread that opened it, innermost scope first.");
        }
        _disposed = true;
        t_current = _parent;
        foreach (var buffer in _owned)
        {
            if (_kept.Contains(buffer))
            {
                _parent?.Track(buffer);
            }
            else
            {
                Pool.Return(buffer);
            }
        }
        _owned.Clear();
    }
}

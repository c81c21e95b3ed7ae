using DeepMetric.Tensors.Autograd;

namespace DeepMetric.Tensors;

public sealed partial class Tensor
{
    /// <summary>When set (benchmarks only), receives the name and duration in ms of every node's backward step.</summary>
    [ThreadStatic]
    internal static Action<string, double>? BackwardProfiler;

    /// <summary>Disables graph recording on this thread until the returned scope is disposed.</summary>
    /// <example><code>using (Tensor.NoGrad()) { var y = model.Forward(x); }</code></example>
    public static NoGradScope NoGrad() => NoGradScope.Enter();

    /// <summary>
    /// Creates the result of an op and, when gradients are enabled and an input requires one,
    /// records the node whose closure maps the output gradient to input gradients.
    /// </summary>
    internal static Tensor Record(float[] data, int[] dims, string name, Tensor[] inputs, Action<Tensor> backward)
    {
        var result = new Tensor(data, dims);
        if (NoGradScope.GradEnabled)
        {
            foreach (var t in inputs)
            {
                if (t.RequiresGrad)
                {
                    result.Node = new GradNode(name, inputs, backward);
                    break;
                }
            }
        }
        return result;
    }

    /// <summary>Creates the result of a single-input op (see <see cref="Record(float[], int[], string, Tensor[], Action{Tensor})"/>).</summary>
    internal static Tensor Record(float[] data, int[] dims, string name, Tensor input, Action<Tensor> backward)
    {
        var result = new Tensor(data, dims);
        if (NoGradScope.GradEnabled && input.RequiresGrad)
        {
            result.Node = new GradNode(name, [input], backward);
        }
        return result;
    }

    /// <summary>A zero-copy view with the given storage window recorded as a view op.</summary>
    internal static Tensor RecordView(Tensor source, int offset, int[] dims, string name, Action<Tensor> backward)
    {
        var result = new Tensor(source.Buffer, offset, dims);
        if (NoGradScope.GradEnabled && source.RequiresGrad)
        {
            result.Node = new GradNode(name, [source], backward);
        }
        return result;
    }

    /// <summary>
    /// Adds <paramref name="grad"/> to the gradient flowing into this tensor during a backward pass.
    /// The first contribution is kept by reference; a later one is added into a buffer this tensor owns: the first one
    /// if it was handed over as owned, else the new one if that is owned, else a copy of the first. A tensor handed to
    /// two inputs is thus never modified in place, and no copy is made when the op gave fresh storage.
    /// </summary>
    /// <param name="grad">The contribution.</param>
    /// <param name="owned">True when <paramref name="grad"/> is fresh storage that the caller gives away (nothing else
    /// refers to it), so it may be accumulated into.</param>
    internal void AccumulateGrad(Tensor grad, bool owned = false)
    {
        if (!RequiresGrad)
        {
            return;
        }
        if (!ShapeUtil.SameShape(grad.Dims, Dims))
        {
            throw new InvalidOperationException($"Internal error: gradient of shape {ShapeUtil.Format(grad.Dims)} for a tensor of shape {ShapeUtil.Format(Dims)}.");
        }
        if (PendingGrad is null)
        {
            PendingGrad = grad;
            PendingOwned = owned;
            return;
        }
        if (!PendingOwned)
        {
            if (owned)
            {
                // Float addition is commutative: new + old has the bits of old + new.
                System.Numerics.Tensors.TensorPrimitives.Add(grad.Span, PendingGrad.ReadOnlySpan, grad.Span);
                PendingGrad = grad;
                PendingOwned = true;
                return;
            }
            var copy = TensorBuffers.Uninitialized(Size);
            PendingGrad.ReadOnlySpan.CopyTo(copy);
            PendingGrad = new Tensor(copy, Dims);
            PendingOwned = true;
        }
        System.Numerics.Tensors.TensorPrimitives.Add(PendingGrad.Span, grad.ReadOnlySpan, PendingGrad.Span);
    }

    /// <summary>
    /// Back-propagates from this tensor. A non-scalar needs an explicit output gradient of the same shape.
    /// Leaf tensors that require a gradient accumulate it in <see cref="Grad"/>.
    /// </summary>
    /// <param name="gradient">Gradient of the final objective with respect to this tensor (default 1 for scalars).</param>
    /// <param name="retainGraph">Keep the graph so Backward can be called through it again.</param>
    /// <exception cref="InvalidOperationException">The tensor does not require a gradient, or the graph was already freed.</exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false)
    {
        if (!RequiresGrad)
        {
            throw new InvalidOperationException("Backward() called on a tensor that does not require a gradient (no input had RequiresGrad = true, or it was computed under NoGrad).");
        }
        if (gradient is null)
        {
            if (Size != 1)
            {
                throw new InvalidOperationException($"Backward() without an explicit gradient needs a one-element tensor, but the shape is {ShapeUtil.Format(Dims)}.");
            }
            gradient = new Tensor([1f], (int[])Dims.Clone());
        }
        else if (!ShapeUtil.SameShape(gradient.Dims, Dims))
        {
            throw new ArgumentException($"The gradient has shape {ShapeUtil.Format(gradient.Dims)} but the tensor has shape {ShapeUtil.Format(Dims)}.", nameof(gradient));
        }

        var order = TopologicalOrder(this);
        PendingGrad = gradient;
        PendingOwned = false;
        using (NoGrad())
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                var g = t.PendingGrad;
                bool owned = t.PendingOwned;
                t.PendingGrad = null;
                if (g is null)
                {
                    continue;
                }
                if (t.Node is null)
                {
                    if (t._requiresGrad)
                    {
                        if (t.Grad is null)
                        {
                            if (t.RecycledGrad is { } recycled && recycled.Length == t.Size)
                            {
                                g.ReadOnlySpan.CopyTo(recycled);
                                t.Grad = new Tensor(recycled, (int[])t.Dims.Clone());
                            }
                            else if (owned)
                            {
                                // The leaf keeps this buffer beyond any open TensorScope.
                                TensorBuffers.Persist(g.Buffer);
                                t.Grad = g;
                            }
                            else
                            {
                                // Every element is written: no need for the zeroing a plain new array gets.
                                var copy = GC.AllocateUninitializedArray<float>(t.Size);
                                g.ReadOnlySpan.CopyTo(copy);
                                t.Grad = new Tensor(copy, (int[])t.Dims.Clone());
                            }
                            t.RecycledGrad = null;
                        }
                        else
                        {
                            System.Numerics.Tensors.TensorPrimitives.Add(t.Grad.Span, g.ReadOnlySpan, t.Grad.Span);
                        }
                    }
                    continue;
                }
                var backward = t.Node.Backward ?? throw new InvalidOperationException(
                    $"Backward through a freed graph: the graph of '{t.Node.Name}' was released by an earlier Backward(). Pass retainGraph: true to the first call to back-propagate twice.");
                if (BackwardProfiler is { } profiler)
                {
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    backward(g);
                    profiler(t.Node.Name, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                else
                {
                    backward(g);
                }
                if (!retainGraph)
                {
                    t.Node.Free();
                }
            }
        }
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.Node?.Inputs ?? [];
            if (t.Node is not null && t.Node.Backward is null)
            {
                throw new InvalidOperationException(
                    $"Backward through a freed graph: the graph of '{t.Node.Name}' was released by an earlier Backward(). Pass retainGraph: true to the first call to back-propagate twice.");
            }
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child))
                {
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}

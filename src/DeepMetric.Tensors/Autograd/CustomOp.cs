namespace DeepMetric.Tensors.Autograd;

/// <summary>
/// Differentiable operations written outside the engine: the caller computes the output values, and gives a backward
/// function that maps the gradient of the output to the gradients of the inputs (reverse-mode automatic
/// differentiation, as in Griewank and Walther, "Evaluating Derivatives", 2nd ed., SIAM 2008, ch. 3). The result takes
/// part in <see cref="Tensor.Backward"/> like any built-in op, so a loss or layer with a closed-form gradient needs
/// no engine internals. This is how the library's own closed-form losses (e.g. the F-statistic loss) are built.
/// </summary>
/// <example>
/// Sum of cubes, y = Σ x³, with ∂y/∂x = 3x²:
/// <code>
/// Tensor SumOfCubes(Tensor x)
/// {
///     float[] v = x.ToArray();
///     float y = v.Sum(a => a * a * a);
///     return CustomOp.Create("SumOfCubes", [y], [], [x], g =>
///         [Tensor.Wrap(v.Select(a => 3 * a * a * g.Item()).ToArray(), x.Shape)]);
/// }
/// </code>
/// </example>
public static class CustomOp
{
    /// <summary>
    /// The output of a custom op: a tensor holding <paramref name="values"/> with shape <paramref name="shape"/> that,
    /// when gradients are enabled and an input requires one, records <paramref name="backward"/> in the graph.
    /// </summary>
    /// <param name="name">The op's name, shown by <see cref="Tensor.Operation"/> and in error messages.</param>
    /// <param name="values">The output values, row-major; wrapped without copying, so do not change them afterwards.</param>
    /// <param name="shape">The output shape (empty for a scalar); its product must equal the number of values.</param>
    /// <param name="inputs">The tensors the output depends on (the only ones that receive gradients).</param>
    /// <param name="backward">
    /// Given the gradient of the final objective with respect to the output (same shape as the output), returns one
    /// gradient per input, in the order of <paramref name="inputs"/>, each with that input's shape, or null for an input
    /// that gets none. Runs during <see cref="Tensor.Backward"/> with graph recording off; the returned tensors are
    /// handed to the engine, which may keep them, so return fresh ones (not a tensor the caller still changes).
    /// </param>
    /// <exception cref="ArgumentException">The values do not fill the shape, the name is empty or an input is null.</exception>
    /// <exception cref="InvalidOperationException">(During backward) the function returned the wrong number of gradients or a wrong shape.</exception>
    public static Tensor Create(string name, float[] values, int[] shape, IReadOnlyList<Tensor> inputs, Func<Tensor, IReadOnlyList<Tensor?>> backward)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(backward);
        long size = 1;
        foreach (int extent in shape)
        {
            if (extent < 0)
            {
                throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} has a negative extent.", nameof(shape));
            }
            size *= extent;
        }
        if (size != values.Length)
        {
            throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} needs {size} values but {values.Length} were given.", nameof(values));
        }
        return Record(name, new Tensor(values, (int[])shape.Clone()), inputs, backward);
    }

    /// <summary>
    /// The output of a custom op whose values are already in a tensor, such as one made with
    /// <see cref="Tensor.WrapView"/> over pooled storage from <see cref="TensorScope.Allocate"/>: returns a tensor sharing
    /// <paramref name="output"/>'s storage and shape that, when gradients are enabled and an input requires one, records
    /// <paramref name="backward"/> in the graph (see <see cref="Create(string, float[], int[], IReadOnlyList{Tensor}, Func{Tensor, IReadOnlyList{Tensor?}})"/>).
    /// </summary>
    /// <param name="name">The op's name, shown by <see cref="Tensor.Operation"/> and in error messages.</param>
    /// <param name="output">The output values; an untracked tensor (no gradient of its own), not copied, so do not change it afterwards.</param>
    /// <param name="inputs">The tensors the output depends on (the only ones that receive gradients).</param>
    /// <param name="backward">Maps the output gradient to one gradient (or null) per input, as in the other overload.</param>
    /// <exception cref="ArgumentException"><paramref name="output"/> requires a gradient, the name is empty or an input is null.</exception>
    /// <exception cref="InvalidOperationException">(During backward) the function returned the wrong number of gradients or a wrong shape.</exception>
    public static Tensor Create(string name, Tensor output, IReadOnlyList<Tensor> inputs, Func<Tensor, IReadOnlyList<Tensor?>> backward)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(backward);
        if (output.RequiresGrad)
        {
            throw new ArgumentException($"The output of '{name}' must be an untracked tensor holding the computed values, but it requires a gradient (a parameter or a recorded result); pass output.Detach() or fresh values.", nameof(output));
        }
        return Record(name, new Tensor(output.Buffer, output.Offset, (int[])output.Dims.Clone()), inputs, backward);
    }

    private static Tensor Record(string name, Tensor result, IReadOnlyList<Tensor> inputs, Func<Tensor, IReadOnlyList<Tensor?>> backward)
    {
        var operands = new Tensor[inputs.Count];
        for (int i = 0; i < operands.Length; i++)
        {
            operands[i] = inputs[i] ?? throw new ArgumentException($"Input {i} of '{name}' is null.", nameof(inputs));
        }
        if (!NoGradScope.GradEnabled || !Array.Exists(operands, t => t.RequiresGrad))
        {
            return result;
        }
        result.Node = new GradNode(name, operands, g =>
        {
            var grads = backward(g) ?? throw new InvalidOperationException($"The backward function of '{name}' returned null instead of {operands.Length} gradient(s).");
            if (grads.Count != operands.Length)
            {
                throw new InvalidOperationException($"The backward function of '{name}' returned {grads.Count} gradient(s) for {operands.Length} input(s).");
            }
            for (int i = 0; i < operands.Length; i++)
            {
                var grad = grads[i];
                if (grad is null || !operands[i].RequiresGrad)
                {
                    continue;
                }
                if (!ShapeUtil.SameShape(grad.Dims, operands[i].Dims))
                {
                    throw new InvalidOperationException($"The backward function of '{name}' returned a gradient of shape {ShapeUtil.Format(grad.Dims)} for input {i} of shape {ShapeUtil.Format(operands[i].Dims)}.");
                }
                operands[i].AccumulateGrad(grad);
            }
        });
        return result;
    }
}

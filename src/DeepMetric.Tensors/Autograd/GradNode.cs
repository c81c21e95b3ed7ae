namespace DeepMetric.Tensors.Autograd;

/// <summary>
/// One recorded operation: its inputs and a closure that, given the gradient of the output,
/// accumulates the gradients of the inputs (through <see cref="Tensor.AccumulateGrad"/>).
/// </summary>
internal sealed class GradNode
{
    public GradNode(string name, Tensor[] inputs, Action<Tensor> backward)
    {
        Name = name;
        Inputs = inputs;
        Backward = backward;
    }

    public string Name { get; }

    public Tensor[] Inputs { get; private set; }

    /// <summary>The backward closure; null once the graph has been freed by a backward pass.</summary>
    public Action<Tensor>? Backward { get; private set; }

    public void Free()
    {
        Backward = null;
        Inputs = [];
    }
}

namespace DeepMetric.Tensors.Nn;

/// <summary>Which fan Kaiming initialisation preserves the variance of.</summary>
public enum FanMode
{
    /// <summary>Number of inputs per output unit: preserves the variance of activations in the forward pass.</summary>
    FanIn,

    /// <summary>Number of outputs per input unit: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}

namespace DeepMetric.Tensors.Nn;

/// <summary>The non-linearity following a layer, which sets the gain of <see cref="Init"/>'s schemes.</summary>
public enum Nonlinearity
{
    /// <summary>Identity (also convolutions and linear layers without activation): gain 1.</summary>
    Linear,

    /// <summary>Logistic sigmoid: gain 1.</summary>
    Sigmoid,

    /// <summary>Hyperbolic tangent: gain 5/3.</summary>
    Tanh,

    /// <summary>Rectified linear unit: gain √2.</summary>
    Relu,

    /// <summary>Leaky ReLU with negative slope a: gain √(2 / (1 + a²)).</summary>
    LeakyRelu,
}

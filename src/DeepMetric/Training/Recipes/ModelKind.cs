namespace DeepMetric.Training.Recipes;

/// <summary>The reference embedding networks of <see cref="Models"/>.</summary>
public enum ModelKind
{
    /// <summary><see cref="Models.Mlp"/>: 784-256-256 trunk.</summary>
    Mlp,

    /// <summary><see cref="Models.Cnn"/>: the reference two-convolution CNN.</summary>
    Cnn,

    /// <summary><see cref="Models.ResNet"/>: the residual CNN (3 stages of 2 basic blocks with BatchNorm).</summary>
    ResNet,

    /// <summary><see cref="Models.PixelResidual"/>: a zero-initialised MLP correction around a fixed random projection of the normalised pixels.</summary>
    PixelResidual,
}

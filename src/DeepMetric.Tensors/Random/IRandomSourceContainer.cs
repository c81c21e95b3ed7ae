namespace DeepMetric.Tensors.Random;

/// <summary>
/// A component that holds other components which may draw random numbers but are not its child modules (e.g. the
/// miners of a combined loss). It names them, so a trainer that checkpoints every <see cref="IRandomSource"/> finds
/// them without knowing the container's type. Child modules need no naming here: trainers walk those themselves.
/// </summary>
public interface IRandomSourceContainer
{
    /// <summary>
    /// The held components (null entries allowed and skipped) by a name stable across runs and unique within this
    /// container, e.g. <c>miner0</c>. A trainer visits each like a child: an <see cref="IRandomSource"/> is saved, an
    /// <see cref="IRandomSourceContainer"/> is asked in turn.
    /// </summary>
    IEnumerable<KeyValuePair<string, object?>> RandomComponents { get; }
}

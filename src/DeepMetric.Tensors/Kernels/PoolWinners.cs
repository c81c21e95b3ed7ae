using System.Runtime.InteropServices;

namespace DeepMetric.Tensors;

/// <summary>
/// The winning position of every max-pool window (0–3 in a 2×2 window, row·k + column in a k×k one), one byte each,
/// kept from the forward pass for the backward pass. The bytes live in a scope-pooled float buffer, so a training step does not allocate them again.
/// </summary>
internal sealed class PoolWinners
{
    private readonly float[] _store;

    public PoolWinners(int count)
    {
        Count = count;
        _store = TensorBuffers.Uninitialized((count + 3) / 4);
    }

    /// <summary>Number of windows.</summary>
    public int Count { get; }

    /// <summary>All winner bytes.</summary>
    public Span<byte> All => MemoryMarshal.AsBytes(_store.AsSpan())[..Count];

    /// <summary>The winner bytes of windows [start, start + length).</summary>
    public Span<byte> Slice(int start, int length) => All.Slice(start, length);
}

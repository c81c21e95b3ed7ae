using System.Runtime.Intrinsics.X86;

namespace DeepMetric.Tensors;

/// <summary>
/// Cache sizes of the CPU at hand, read once through CPUID, for kernels that size their blocks to a cache level.
/// A fixed fallback applies where CPUID is unavailable or says nothing (other architectures, some hypervisors).
/// Depends only on the machine, never on timing, so block sizes (and with them the order of floating-point sums)
/// are the same on every run on one machine.
/// </summary>
internal static class CpuCaches
{
    /// <summary>Assumed when CPUID gives no answer: the per-core L2 of recent AMD cores, the smaller common size.</summary>
    public const int FallbackL2Bytes = 1 << 20;

    private static readonly Lazy<int> s_l2 = new(ReadL2Bytes);

    /// <summary>Bytes of the L2 cache of one core (clamped to [256 KiB, 8 MiB]).</summary>
    public static int L2Bytes => s_l2.Value;

    private static int ReadL2Bytes()
    {
        int bytes = 0;
        try
        {
            if (X86Base.IsSupported)
            {
                bytes = FromDeterministicLeaf(4);
                if (bytes == 0 && (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax >= 0x80000006)
                {
                    // AMD: leaf 0x8000_0006, ECX[31:16] = L2 size in KiB.
                    bytes = (int)(((uint)X86Base.CpuId(unchecked((int)0x80000006), 0).Ecx >> 16) * 1024);
                }
            }
        }
        catch (PlatformNotSupportedException)
        {
            bytes = 0;
        }
        return bytes <= 0 ? FallbackL2Bytes : Math.Clamp(bytes, 256 << 10, 8 << 20);
    }

    // Intel's deterministic cache parameters (leaf 4): walk the sub-leaves to the level-2 data or unified cache;
    // size = ways · partitions · line size · sets.
    private static int FromDeterministicLeaf(int leaf)
    {
        if (X86Base.CpuId(0, 0).Eax < leaf)
        {
            return 0;
        }
        for (int sub = 0; sub < 16; sub++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(leaf, sub);
            int type = eax & 0x1f, level = (eax >> 5) & 7;
            if (type == 0)
            {
                break;
            }
            if (level == 2 && type is 1 or 3)
            {
                long size = (long)(((uint)ebx >> 22) + 1) * ((((uint)ebx >> 12) & 0x3ff) + 1) * (((uint)ebx & 0xfff) + 1) * ((uint)ecx + 1);
                return (int)Math.Min(size, int.MaxValue);
            }
        }
        return 0;
    }
}

using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DeepMetric.Distances;
using DeepMetric.Internal;

namespace DeepMetric.Miners;

/// <summary>
/// Keeps the triplets whose separation s = d(a,n) − d(a,p) (for similarities s(a,p) − s(a,n)) falls in a
/// band relative to the margin: all violating, hard, semi-hard (FaceNet; Schroff et al., CVPR 2015) or easy.
/// Default: margin 0.2, all violating triplets.
/// </summary>
public sealed class TripletMarginMiner : Miner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="margin">The margin defining the bands.</param>
    /// <param name="kind">Which band to keep.</param>
    /// <param name="distance">Distance (default <see cref="LpDistance"/>).</param>
    public TripletMarginMiner(float margin = 0.2f, TripletKind kind = TripletKind.All, Distance? distance = null) : base(distance ?? new LpDistance())
    {
        Guard.Finite(margin);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown triplet kind.");
        }
        Margin = margin;
        Kind = kind;
    }

    [ThreadStatic]
    private static TripletBuffer? t_buffer;

    // For each 8-bit lane mask, the positions of its set bits in increasing order (padded with 0): the permutation
    // that packs the kept lanes of a vector to its front.
    private static readonly int[] s_compress = BuildCompressTable();

    /// <summary>The margin.</summary>
    public float Margin { get; }

    /// <summary>Which triplets are kept.</summary>
    public TripletKind Kind { get; }

    /// <inheritdoc/>
    protected override MinedTuples Mine(MiningBatch batch) => Kind switch
    {
        // One specialised loop per band: the test is inlined in the innermost loop.
        TripletKind.All => Mine<AllBand>(batch, Margin),
        TripletKind.Hard => Mine<HardBand>(batch, Margin),
        TripletKind.SemiHard => Mine<SemiHardBand>(batch, Margin),
        _ => Mine<EasyBand>(batch, Margin),
    };

    // Every (anchor, positive, negative) whose separation falls in the band, anchors in order, then positives,
    // then negatives in column order. The band test runs on whole vectors of negatives; the kept lanes are read
    // from the comparison mask bit by bit, so the triplets and their order are those of the scalar loop.
    private static TripletTuples Mine<TBand>(MiningBatch batch, float margin)
        where TBand : struct, IBand
    {
        int rows = batch.Rows, cols = batch.Cols;
        bool inverted = batch.Distance.IsInverted;
        var labels = batch.Labels;
        var refLabels = batch.RefLabels;
        bool sameSet = batch.SameSet;
        var pos = new int[cols];
        var neg = new int[cols];
        var posValues = new float[cols];
        var negValues = new float[cols];
        // Reused across batches (per thread): after the first batches it no longer grows.
        var output = t_buffer ??= new TripletBuffer(rows * 16);
        output.Clear();
        for (int i = 0; i < rows; i++)
        {
            var row = batch.Row(i);
            int label = labels[i], np = 0, nn = 0;
            for (int j = 0; j < cols; j++)
            {
                if (label == refLabels[j])
                {
                    if (!(sameSet && i == j))
                    {
                        pos[np] = j;
                        posValues[np++] = row[j];
                    }
                }
                else
                {
                    neg[nn] = j;
                    negValues[nn++] = row[j];
                }
            }
            var negSpan = negValues.AsSpan(0, nn);
            for (int k = 0; k < np; k++)
            {
                // Room for every negative, so the scan stores without checks.
                var negatives = output.Reserve(nn);
                int kept = inverted
                    ? Scan<TBand, Inverted>(posValues[k], negSpan, neg, margin, negatives)
                    : Scan<TBand, Direct>(posValues[k], negSpan, neg, margin, negatives);
                output.Commit(i, pos[k], kept);
            }
        }
        return output.ToTuples();
    }

    // Writes the negatives (column indices) of the triplets of one (anchor, positive) pair whose separation is in the
    // band; returns their count.
    private static int Scan<TBand, TDirection>(float dp, ReadOnlySpan<float> negValues, int[] neg, float margin, Span<int> output)
        where TBand : struct, IBand
        where TDirection : struct, IDirection
    {
        int count = 0, m = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vdp = Vector256.Create(dp);
            var vmargin = Vector256.Create(margin);
            ref float start = ref MemoryMarshal.GetReference(negValues);
            for (; m <= negValues.Length - Vector256<float>.Count; m += Vector256<float>.Count)
            {
                var values = Vector256.LoadUnsafe(ref start, (nuint)m);
                uint bits = TBand.Keep(TDirection.Separation(vdp, values), vmargin).ExtractMostSignificantBits();
                if (Avx2.IsSupported)
                {
                    // Branch-free compaction: move the kept lanes' column indices to the front and store all eight
                    // (count ≤ m, so the eight fit); only the kept ones are counted. Which lanes pass is data-dependent,
                    // so a per-bit loop would mispredict about once per vector.
                    var columns = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(neg), (nuint)m);
                    var order = Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(s_compress), bits * 8);
                    Avx2.PermuteVar8x32(columns, order).StoreUnsafe(ref MemoryMarshal.GetReference(output), (nuint)count);
                    count += BitOperations.PopCount(bits);
                    continue;
                }
                while (bits != 0)
                {
                    output[count++] = neg[m + BitOperations.TrailingZeroCount(bits)];
                    bits &= bits - 1;
                }
            }
        }
        for (; m < negValues.Length; m++)
        {
            if (TBand.Keep(TDirection.Separation(dp, negValues[m]), margin))
            {
                output[count++] = neg[m];
            }
        }
        return count;
    }

    private static int[] BuildCompressTable()
    {
        var table = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++)
        {
            int k = 0;
            for (int lane = 0; lane < 8; lane++)
            {
                if ((mask & (1 << lane)) != 0)
                {
                    table[(mask * 8) + k++] = lane;
                }
            }
        }
        return table;
    }

    // Separation as Distance.Separation computes it: d(a,n) − d(a,p), or s(a,p) − s(a,n) for similarities.
    private interface IDirection
    {
        static abstract float Separation(float positive, float negative);

        static abstract Vector256<float> Separation(Vector256<float> positive, Vector256<float> negative);
    }

    private readonly struct Direct : IDirection
    {
        public static float Separation(float positive, float negative) => negative - positive;

        public static Vector256<float> Separation(Vector256<float> positive, Vector256<float> negative) => negative - positive;
    }

    private readonly struct Inverted : IDirection
    {
        public static float Separation(float positive, float negative) => positive - negative;

        public static Vector256<float> Separation(Vector256<float> positive, Vector256<float> negative) => positive - negative;
    }

    private interface IBand
    {
        static abstract bool Keep(float separation, float margin);

        // All-ones lanes where Keep would be true (false for NaN, as the scalar comparisons).
        static abstract Vector256<float> Keep(Vector256<float> separation, Vector256<float> margin);
    }

    private readonly struct AllBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation <= margin;

        public static Vector256<float> Keep(Vector256<float> separation, Vector256<float> margin) => Vector256.LessThanOrEqual(separation, margin);
    }

    private readonly struct HardBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation <= 0;

        public static Vector256<float> Keep(Vector256<float> separation, Vector256<float> margin) => Vector256.LessThanOrEqual(separation, Vector256<float>.Zero);
    }

    private readonly struct SemiHardBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation > 0 && separation <= margin;

        public static Vector256<float> Keep(Vector256<float> separation, Vector256<float> margin) =>
            Vector256.GreaterThan(separation, Vector256<float>.Zero) & Vector256.LessThanOrEqual(separation, margin);
    }

    private readonly struct EasyBand : IBand
    {
        public static bool Keep(float separation, float margin) => separation > margin;

        public static Vector256<float> Keep(Vector256<float> separation, Vector256<float> margin) => Vector256.GreaterThan(separation, margin);
    }
}

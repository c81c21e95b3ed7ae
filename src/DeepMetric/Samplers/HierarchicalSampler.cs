using DeepMetric.Tensors.Random;

namespace DeepMetric.Samplers;

/// <summary>
/// Batches organised by super-class: each batch holds S distinct super-classes, C distinct classes from each, and
/// K samples of each class, in that nested order (batch size S·C·K). Hard negatives then come from sibling classes
/// of the same super-class (e.g. two kinds of shoe), as in the hierarchical sampling used on Stanford Online
/// Products (Cakir et al., "Deep Metric Learning to Rank", CVPR 2019).
/// </summary>
/// <remarks>
/// Every class must belong to exactly one super-class, and every super-class must have at least C classes (checked
/// at construction). An epoch is ⌊len(dataset) / (S·C·K)⌋ batches (at least one). Super-classes come from a
/// shuffled cycle of all super-classes, classes from a shuffled cycle per super-class, and samples from a shuffled
/// cycle per class; a cycle with too few items left for the batch is reshuffled, so super-classes and classes never
/// repeat inside a batch. A class with fewer than K samples repeats samples. Every epoch's batches depend only on
/// the seed and the epoch number.
/// </remarks>
public sealed class HierarchicalSampler : BatchSampler
{
    private readonly int[][] _classesOfSuper;   // class indices (into _members) of each super-class
    private readonly int[][] _members;          // dataset indices of each class
    private readonly int _batches;
    private Prng _rng = new(0);
    private ShuffledCycle _supers = null!;
    private ShuffledCycle[] _classCycles = [];
    private ShuffledCycle[] _sampleCycles = [];

    /// <summary>Creates the sampler.</summary>
    /// <param name="labels">Class label of every dataset item (any integers).</param>
    /// <param name="superLabels">Super-class label of every dataset item; constant within a class.</param>
    /// <param name="superClassesPerBatch">S: distinct super-classes per batch.</param>
    /// <param name="classesPerSuperClass">C: distinct classes per super-class in a batch.</param>
    /// <param name="samplesPerClass">K: samples per class in a batch.</param>
    /// <param name="seed">Seed.</param>
    /// <exception cref="ArgumentException">The label arrays are empty or differ in length, a class spans two super-classes, there are fewer than S super-classes, or a super-class has fewer than C classes.</exception>
    public HierarchicalSampler(ReadOnlySpan<int> labels, ReadOnlySpan<int> superLabels, int superClassesPerBatch,
        int classesPerSuperClass, int samplesPerClass, ulong seed = 0)
        : base(BatchSizeOf(superClassesPerBatch, classesPerSuperClass, samplesPerClass), seed)
    {
        if (labels.IsEmpty)
        {
            throw new ArgumentException("The labels must not be empty.", nameof(labels));
        }
        if (superLabels.Length != labels.Length)
        {
            throw new ArgumentException($"Expected one super-class label per item ({labels.Length}), got {superLabels.Length}.", nameof(superLabels));
        }
        var (classKeys, members) = ShuffledCycle.GroupByLabel(labels);
        var superOfClass = new SortedDictionary<int, List<int>>();
        for (int c = 0; c < classKeys.Length; c++)
        {
            int super = superLabels[members[c][0]];
            foreach (int i in members[c])
            {
                if (superLabels[i] != super)
                {
                    throw new ArgumentException(
                        $"Class {classKeys[c]} appears under super-classes {super} and {superLabels[i]}; each class needs one super-class.", nameof(superLabels));
                }
            }
            if (!superOfClass.TryGetValue(super, out var list))
            {
                superOfClass[super] = list = [];
            }
            list.Add(c);
        }
        if (superOfClass.Count < superClassesPerBatch)
        {
            throw new ArgumentException(
                $"S = {superClassesPerBatch} super-classes per batch, but the labels have only {superOfClass.Count}.", nameof(superClassesPerBatch));
        }
        foreach (var (super, list) in superOfClass)
        {
            if (list.Count < classesPerSuperClass)
            {
                throw new ArgumentException(
                    $"Super-class {super} has {list.Count} classes, fewer than C = {classesPerSuperClass} classes per super-class.", nameof(classesPerSuperClass));
            }
        }
        _members = members;
        _classesOfSuper = [.. superOfClass.Values.Select(l => l.ToArray())];
        SuperClassesPerBatch = superClassesPerBatch;
        ClassesPerSuperClass = classesPerSuperClass;
        SamplesPerClass = samplesPerClass;
        _batches = Math.Max(1, labels.Length / BatchSize);
    }

    /// <summary>S: super-classes per batch.</summary>
    public int SuperClassesPerBatch { get; }

    /// <summary>C: classes per super-class in a batch.</summary>
    public int ClassesPerSuperClass { get; }

    /// <summary>K: samples per class in a batch.</summary>
    public int SamplesPerClass { get; }

    /// <inheritdoc/>
    public override int BatchesPerEpoch => _batches;

    /// <inheritdoc/>
    protected override void StartEpoch(int epoch)
    {
        _rng = EpochRng(epoch);
        var supers = new int[_classesOfSuper.Length];
        for (int s = 0; s < supers.Length; s++)
        {
            supers[s] = s;
        }
        _supers = new ShuffledCycle(supers, _rng);
        _classCycles = new ShuffledCycle[_classesOfSuper.Length];
        for (int s = 0; s < _classCycles.Length; s++)
        {
            _classCycles[s] = new ShuffledCycle(_classesOfSuper[s], _rng);
        }
        _sampleCycles = new ShuffledCycle[_members.Length];
        for (int c = 0; c < _sampleCycles.Length; c++)
        {
            _sampleCycles[c] = new ShuffledCycle(_members[c], _rng);
        }
    }

    /// <inheritdoc/>
    protected override int[] DrawBatch()
    {
        var batch = new int[BatchSize];
        var supers = new int[SuperClassesPerBatch];
        var classes = new int[ClassesPerSuperClass];
        _supers.TakeDistinct(supers, _rng);
        int k = 0;
        foreach (int s in supers)
        {
            _classCycles[s].TakeDistinct(classes, _rng);
            foreach (int c in classes)
            {
                _sampleCycles[c].Take(batch.AsSpan(k, SamplesPerClass), _rng);
                k += SamplesPerClass;
            }
        }
        return batch;
    }

    private static int BatchSizeOf(int s, int c, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s, "superClassesPerBatch");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, "classesPerSuperClass");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k, "samplesPerClass");
        return checked(s * c * k);
    }
}

using DeepMetric.Losses;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;
using DeepMetric.Wrappers;

namespace DeepMetric.Tests.Losses;

/// <summary>
/// State kept across calls (memory banks, centres, histograms, β) must be copied into the loss's own storage: a
/// training step runs inside a <see cref="TensorScope"/>, which recycles every op buffer when the step ends.
/// Each case runs a step in a scope, snapshots the state, lets another scope overwrite the recycled buffers with
/// NaN, and checks the state is unchanged; a second step must then still give a finite loss.
/// </summary>
public sealed class TensorScopeStateTests
{
    // 64 × 256 = 16 K floats: large enough for op outputs to come from the scope's pool.
    private const int N = 64;
    private const int D = 256;

    public static TheoryData<string> Losses => new() { "Snca", "CrossBatchMemory", "CenterLoss", "CenterLossWithCrossEntropy", "DynamicSoftMargin", "Margin" };

    private static int[] Labels(int offset)
    {
        var labels = new int[N];
        for (int i = 0; i < N; i++)
        {
            labels[i] = (i + offset) % 4;
        }
        return labels;
    }

    private static int[] Slots(int offset)
    {
        var slots = new int[N];
        for (int i = 0; i < N; i++)
        {
            slots[i] = i + offset;
        }
        return slots;
    }

    private static Tensor Step(MetricLoss loss, Tensor embeddings, int step) => loss is SncaLoss snca
        ? snca.ComputeWithMemory(embeddings, Labels(step), Slots(step * N))
        : loss.Compute(embeddings, Labels(step));

    private static MetricLoss Create(string name) => name switch
    {
        "Snca" => new SncaLoss(memorySize: 2 * N, embeddingSize: D),
        "CrossBatchMemory" => new CrossBatchMemory(new ContrastiveLoss(), memorySize: 2 * N),
        "CenterLoss" => new CenterLoss(4, D),
        "CenterLossWithCrossEntropy" => new CenterLossWithCrossEntropy(4, D, lambda: 1f),
        "DynamicSoftMargin" => new DynamicSoftMarginLoss(),
        "Margin" => new MarginLoss(numClasses: 4),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Dictionary<string, float[]> Snapshot(MetricLoss loss)
    {
        var state = new Dictionary<string, float[]>();
        foreach (var entry in loss.StateDict())
        {
            state[entry.Key] = entry.Value.ToArray();
            if (entry.Value.Grad is { } grad)
            {
                state[entry.Key + ".grad"] = grad.ToArray();
            }
        }
        if (loss is CrossBatchMemory xbm)
        {
            state["memory"] = xbm.MemoryEmbeddings.ToArray();
            state["memory_labels"] = Array.ConvertAll(xbm.MemoryLabels, l => (float)l);
        }
        return state;
    }

    /// <summary>Fills recycled pool buffers of the batch size with NaN.</summary>
    private static void Poison()
    {
        var nan = new float[N * D];
        Array.Fill(nan, float.NaN);
        var source = Tensor.FromArray(nan, N, D);
        using var scope = TensorScope.Enter();
        for (int k = 0; k < 32; k++)
        {
            _ = Ops.Mul(source, 1f);
        }
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void StateAfterAStep_SurvivesTheScope(string name)
    {
        var loss = Create(name);
        var x = Fixtures.RandomEmbeddings(1, N, D);
        Tensor stepEmbeddings;
        using (var scope = TensorScope.Enter())
        {
            // An op output, as a model's would be: its buffer is recycled when the scope ends.
            stepEmbeddings = Ops.Mul(x, 1f);
            var value = Step(loss, stepEmbeddings, 0);
            value.Backward();
            Assert.True(float.IsFinite(value.Item()));
            Assert.True(scope.BufferCount > 0, "the embeddings should come from the scope's pool");
        }
        var before = Snapshot(loss);
        Assert.NotEmpty(before);

        Poison();
        // The test's premise: a reference to the step's batch would now see garbage.
        Assert.Contains(stepEmbeddings.ToArray(), float.IsNaN);

        var after = Snapshot(loss);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (key, values) in before)
        {
            Assert.True(values.AsSpan().SequenceEqual(after[key]), $"{name}: state '{key}' changed after its scope ended");
            Assert.DoesNotContain(values, float.IsNaN);
        }

        var x2 = Fixtures.RandomEmbeddings(2, N, D);
        using (TensorScope.Enter())
        {
            var value = Step(loss, Ops.Mul(x2, 1f), 1);
            value.Backward();
            Assert.True(float.IsFinite(value.Item()), $"{name}: second step gave {value.Item()}");
        }
        foreach (var (key, values) in Snapshot(loss))
        {
            Assert.DoesNotContain(values, float.IsNaN);
        }
    }
}

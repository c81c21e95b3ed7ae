namespace DeepMetric.Onnx.Import;

/// <summary>What a forward pass knows besides the node inputs: the batch the file declares and the one being run.</summary>
/// <param name="DeclaredBatch">The fixed batch size of the graph input, or null when it is symbolic.</param>
/// <param name="Batch">The batch size of this forward pass.</param>
internal sealed record RunContext(int? DeclaredBatch, int Batch)
{
    /// <summary>
    /// A reshape target copied from a file exported with a fixed batch: its leading entry is that batch. When another
    /// batch is run and the data's leading axis is that batch, the leading entry follows it (dynamic batch).
    /// </summary>
    public int[] AdaptBatch(int[] target, int[] dataDims)
    {
        if (DeclaredBatch is int fixedBatch && fixedBatch != Batch && target.Length > 0 && target[0] == fixedBatch
            && dataDims.Length > 0 && dataDims[0] == Batch)
        {
            var r = (int[])target.Clone();
            r[0] = Batch;
            return r;
        }
        return target;
    }
}

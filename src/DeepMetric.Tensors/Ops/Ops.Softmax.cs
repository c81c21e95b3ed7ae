namespace DeepMetric.Tensors;

// Signatures of the normalisation and classification ops; implementations land in their own files.
public static partial class Ops
{
    /// <summary>Softmax over <paramref name="axis"/>, stabilised by max subtraction; −∞ entries get probability 0.</summary>
    public static Tensor Softmax(Tensor x, int axis = -1) => throw new NotImplementedException();

    /// <summary>Log-softmax over <paramref name="axis"/> (x − logsumexp(x)).</summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1) => throw new NotImplementedException();

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [N, C] against class indices <paramref name="targets"/> (length N),
    /// with label smoothing ε (Szegedy et al., 2016): the target distribution is (1−ε)·onehot + ε/C.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, float labelSmoothing = 0f) => throw new NotImplementedException();

    /// <summary>x / max(‖x‖₂, eps) along <paramref name="axis"/>; finite gradient at x = 0.</summary>
    public static Tensor L2Normalize(Tensor x, int axis = -1, float eps = 1e-12f) => throw new NotImplementedException();
}

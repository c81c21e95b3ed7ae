using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

/// <summary>
/// Maps each supported ONNX op (default domain, opsets 7–18) onto engine ops. A mapping reads and validates the
/// node's attributes at import and returns the kernel that runs it; inputs arrive at run time, so the same kernel
/// serves constant folding at import and the forward pass.
/// </summary>
internal static partial class OpRegistry
{
    private static readonly Dictionary<string, Func<OpContext, NodeKernel>> Mappings = Build();

    public static bool IsSupported(string op) => Mappings.ContainsKey(op);

    public static IEnumerable<string> SupportedOps => Mappings.Keys.Order(StringComparer.Ordinal);

    /// <summary>Compiles a node, failing on an unknown op or attribute with an error naming them.</summary>
    public static NodeKernel Compile(OpContext ctx)
    {
        if (ctx.Node.Domain is not ("" or "ai.onnx"))
        {
            throw ctx.Error($"op domain '{ctx.Node.Domain}' is not supported (only the default ONNX domain is)");
        }
        if (!Mappings.TryGetValue(ctx.Node.OpType, out var map))
        {
            throw ctx.Error($"op '{ctx.Node.OpType}' is not supported");
        }
        if (IntroducedIn.TryGetValue(ctx.Node.OpType, out int since) && ctx.Opset < since)
        {
            throw ctx.Error($"op '{ctx.Node.OpType}' does not exist at opset {ctx.Opset} (it was added in opset {since})");
        }
        var kernel = map(ctx);
        ctx.Attrs.EnsureAllRead();
        return kernel;
    }

    // Ops of our set added to the default domain after opset 7.
    private static readonly Dictionary<string, int> IntroducedIn = new(StringComparer.Ordinal)
    {
        ["Expand"] = 8,
        ["Erf"] = 9,
        ["ConstantOfShape"] = 9,
        ["Where"] = 9,
        ["HardSwish"] = 14,
        ["LayerNormalization"] = 17,
    };

    private static Dictionary<string, Func<OpContext, NodeKernel>> Build()
    {
        var m = new Dictionary<string, Func<OpContext, NodeKernel>>(StringComparer.Ordinal);
        AddConvAndPool(m);
        AddMath(m);
        AddShape(m);
        return m;
    }

    // ---- input helpers -------------------------------------------------------------------------------------------

    private static Tensor Float(OnnxValue?[] inputs, int i, OpContext ctx) =>
        (At(inputs, i, ctx) ?? throw ctx.Error($"input {i} is required")).AsTensor();

    private static OnnxValue Required(OnnxValue?[] inputs, int i, OpContext ctx) =>
        At(inputs, i, ctx) ?? throw ctx.Error($"input {i} is required");

    private static OnnxValue? At(OnnxValue?[] inputs, int i, OpContext ctx)
    {
        _ = ctx;
        return i < inputs.Length ? inputs[i] : null;
    }

    private static OnnxValue[] One(Tensor t) => [OnnxValue.Of(t)];

    private static OnnxValue[] One(OnnxValue v) => [v];

    private static int Axis(long axis, int rank, OpContext ctx, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw ctx.Error($"{what} {axis} is out of range for rank {rank}");
        }
        return (int)a;
    }

    /// <summary>Axes given either as an attribute (older opsets) or as an input (newer), or null when neither is given.</summary>
    private static long[]? AxesFrom(OnnxValue?[] inputs, int inputIndex, long[]? attribute, OpContext ctx) =>
        attribute ?? At(inputs, inputIndex, ctx)?.AsInts();

    private static float ScalarOr(OnnxValue? v, float fallback) => v is null ? fallback : v.AsTensor().ToArray()[0];
}

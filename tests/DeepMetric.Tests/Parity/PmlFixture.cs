using System.Text.Json;
using DeepMetric.Tensors;
using DeepMetric.Tests.TestUtil;

namespace DeepMetric.Tests.Parity;

/// <summary>
/// The reference values computed by pytorch-metric-learning 2.8.1 (Fixtures/pml/make_fixtures.py writes
/// pml_fixtures.json). Loaded once; the batches, parameters and expected values are read as float64 and the
/// inputs converted to float32 exactly as PML saw them.
/// </summary>
internal static class PmlFixture
{
    private static readonly Lazy<JsonDocument> Doc = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pml", "pml_fixtures.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The PML fixture {path} is missing; run Fixtures/pml/make_fixtures.py (see its header).", path);
        }
        return JsonDocument.Parse(File.ReadAllText(path));
    });

    public static JsonElement Root => Doc.Value.RootElement;

    public static IEnumerable<JsonElement> Records(string section) => Root.GetProperty(section).EnumerateArray();

    public static JsonElement Record(string section, string id) =>
        Records(section).First(r => r.GetProperty("id").GetString() == id);

    public static JsonElement Batch(string name) => Root.GetProperty("batches").GetProperty(name);

    /// <summary>A [rows, cols] JSON matrix as a float32 tensor (requiring grad when asked).</summary>
    public static Tensor Matrix(JsonElement m, bool requiresGrad = false)
    {
        var rows = m.EnumerateArray().Select(r => r.EnumerateArray().Select(Number).ToArray()).ToArray();
        int cols = rows.Length == 0 ? 0 : rows[0].Length;
        var data = new float[rows.Length * cols];
        for (int i = 0; i < rows.Length; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                data[(i * cols) + j] = (float)rows[i][j];
            }
        }
        var t = Tensor.FromArray(data, rows.Length, cols);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    public static double[] Flat(JsonElement m) =>
        m.ValueKind == JsonValueKind.Array
            ? m.EnumerateArray().SelectMany(x => x.ValueKind == JsonValueKind.Array ? Flat(x) : [Number(x)]).ToArray()
            : [Number(m)];

    public static int[] Ints(JsonElement a) => a.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static double Number(JsonElement x) => x.ValueKind switch
    {
        JsonValueKind.Number => x.GetDouble(),
        JsonValueKind.String => x.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            var s => throw new FormatException($"Unexpected number '{s}' in the PML fixture."),
        },
        _ => throw new FormatException($"Unexpected JSON {x.ValueKind} in the PML fixture where a number was expected."),
    };

    public static bool Has(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>
    /// Float32 agreement: |actual − expected| ≤ atol + rtol·scale, where scale is the largest magnitude among the
    /// expected values (gradients of one record vary over orders of magnitude; a relative check per element would
    /// flag rounding noise in entries that are ~0).
    /// </summary>
    public static void AssertClose(string what, double[] expected, double[] actual, double rtol = 2e-4, double atol = 2e-5)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, PML has {expected.Length}.");
        double scale = 0;
        foreach (var v in expected)
        {
            if (double.IsFinite(v))
            {
                scale = Math.Max(scale, Math.Abs(v));
            }
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) || double.IsInfinity(e))
            {
                Assert.True(e.Equals(a), $"{what}[{i}]: PML {e}, ours {a}.");
                continue;
            }
            Assert.True(Math.Abs(a - e) <= atol + (rtol * scale), $"{what}[{i}]: PML {e:R}, ours {a:R} (scale {scale:G4}).");
        }
    }
}

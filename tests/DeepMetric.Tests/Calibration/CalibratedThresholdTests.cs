using DeepMetric.Calibration;
using DeepMetric.Search;

namespace DeepMetric.Tests.Calibration;

public sealed class CalibratedThresholdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-threshold-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CalibratedThreshold Sample() =>
        new(0.123456789f, VectorMetric.Cosine, 0.95, 0.4, 0.5633802816901409, CalibrationMethod.TargetPrecision, 0.95, 1234, 56789)
        {
            Model = "runs/a/model.safetensors",
            Source = "all pairs of 2000 items, \"quoted\"",
        };

    [Fact]
    public void RoundTripIsExact()
    {
        string path = Path.Combine(_dir, "t.json");
        var t = Sample();
        t.Save(path);
        Assert.Equal(t, CalibratedThreshold.Load(path));
        var f1 = t with { Method = CalibrationMethod.BestF1, TargetPrecision = null, Metric = VectorMetric.InnerProduct, Threshold = -2.5f };
        f1.Save(path);
        Assert.Equal(f1, CalibratedThreshold.Load(path));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void FromCurveCarriesTheChosenPoint()
    {
        var curve = ThresholdCurve.Compute([0.1f, 0.2f, 0.2f, 0.3f, 0.5f], [true, true, false, true, false]);
        var t = CalibratedThreshold.FromCurve(curve, VectorMetric.L2, 0.75)!;
        Assert.Equal((0.3f, 0.75, 1.0, CalibrationMethod.TargetPrecision, 3L, 2L), (t.Threshold, t.Precision, t.Recall, t.Method, t.PositivePairs, t.NegativePairs));
        var best = CalibratedThreshold.FromCurve(curve, VectorMetric.L2)!;
        Assert.Equal(CalibrationMethod.BestF1, best.Method);
        Assert.Null(best.TargetPrecision);
    }

    [Fact]
    public void PathForSitsNextToTheModel() =>
        Assert.Equal(Path.Combine("run", "model.threshold.json"), CalibratedThreshold.PathFor(Path.Combine("run", "model.safetensors")));

    [Theory]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":0.5", "not a valid threshold file")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("{\"format\":\"other\"}", "not a threshold file")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":2}", "version 2 is not supported")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"metric\":\"L2\"}", "'threshold' is missing")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":\"x\"}", "'threshold' is missing or not a finite number")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":0.5,\"metric\":\"Manhattan\"}", "'metric'")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":0.5,\"metric\":\"7\"}", "'metric'")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":0.5,\"metric\":\"L2\",\"method\":\"BestF1\",\"precision\":1.5}", "'precision' must be in [0, 1]")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":0.5,\"metric\":\"L2\",\"method\":\"TargetPrecision\",\"target_precision\":0}", "'target_precision'")]
    [InlineData("{\"format\":\"deepmetric-threshold\",\"version\":1,\"threshold\":0.5,\"metric\":\"L2\",\"method\":\"BestF1\",\"precision\":1,\"recall\":1,\"f1\":1,\"positive_pairs\":-1,\"negative_pairs\":0}", "pair counts")]
    [InlineData("", "not a valid threshold file")]
    public void CorruptFilesAreRejectedWithTheProblem(string content, string expected)
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, content);
        var e = Assert.Throws<InvalidDataException>(() => CalibratedThreshold.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedSavedFileIsRejected()
    {
        string path = Path.Combine(_dir, "t.json");
        Sample().Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Throws<InvalidDataException>(() => CalibratedThreshold.Load(path));
    }

    [Fact]
    public void MissingFileIsAFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => CalibratedThreshold.Load(Path.Combine(_dir, "none.json")));
}

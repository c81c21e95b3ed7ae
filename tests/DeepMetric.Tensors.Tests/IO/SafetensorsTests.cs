using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DeepMetric.Tensors.IO;
using DeepMetric.Tensors.Nn;
using DeepMetric.Tensors.Random;

namespace DeepMetric.Tensors.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dm-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    // Builds a file by hand: 8-byte little-endian length, the header padded with spaces, then the data.
    private string WriteRaw(string header, byte[] data, string name = "raw.safetensors")
    {
        var h = Encoding.UTF8.GetBytes(header);
        int padded = (h.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        h.CopyTo(bytes, 8);
        bytes.AsSpan(8 + h.Length, padded - h.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + padded);
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private SafetensorsFormatException LoadFails(string path)
    {
        var ex = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.FilePath);
        return ex;
    }

    private static Dictionary<string, Tensor> Sample() => new()
    {
        ["layer.weight"] = Tensor.Rand(new Prng(1), [3, 4], -1f, 1f),
        ["bias"] = Tensor.FromArray([1.5f, -2f, float.MaxValue, float.Epsilon]),
        ["scalar"] = Tensor.Scalar(42.25f),
        ["empty"] = Tensor.Zeros(0, 5),
        ["cube"] = Tensor.Rand(new Prng(2), [2, 3, 2]),
    };

    [Fact]
    public void RoundTripKeepsValuesShapesAndMetadata()
    {
        var tensors = Sample();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"quoted\"" };
        string path = PathOf("model.safetensors");
        Safetensors.Save(path, tensors, meta);

        var loaded = Safetensors.Load(path);
        Assert.Equal(["bias", "cube", "empty", "layer.weight", "scalar"], loaded.Tensors.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.Shape, loaded.Tensors[name].Shape);
            Assert.Equal(t.ToArray(), loaded.Tensors[name].ToArray());
        }
        Assert.Equal(0, loaded.Tensors["scalar"].Rank);
        Assert.Equal(42.25f, loaded.Tensors["scalar"].Item());
        Assert.Equal(0, loaded.Tensors["empty"].Size);
        Assert.Equal(meta.OrderBy(kv => kv.Key, StringComparer.Ordinal), loaded.Metadata);
    }

    [Fact]
    public void FileLayoutFollowsTheSpecAndIsByteIdenticalForEqualContent()
    {
        var a = Sample();
        var b = new Dictionary<string, Tensor>();
        foreach (var key in a.Keys.Reverse())
        {
            b[key] = a[key].Clone();
        }
        string pa = PathOf("a.safetensors"), pb = PathOf("b.safetensors");
        Safetensors.Save(pa, a, new Dictionary<string, string> { ["x"] = "1", ["a"] = "2" });
        Safetensors.Save(pb, b, new Dictionary<string, string> { ["a"] = "2", ["x"] = "1" });
        var bytes = File.ReadAllBytes(pa);
        Assert.Equal(bytes, File.ReadAllBytes(pb));

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"a\":\"2\",\"x\":\"1\"}", header, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(header);
        var bias = doc.RootElement.GetProperty("bias");
        Assert.Equal("F32", bias.GetProperty("dtype").GetString());
        Assert.Equal(4, bias.GetProperty("shape")[0].GetInt32());
        Assert.Equal(0, bias.GetProperty("data_offsets")[0].GetInt64());
        Assert.Equal(16, bias.GetProperty("data_offsets")[1].GetInt64());
        // "bias" sorts first, so its raw little-endian floats open the data section.
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n)));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(12 + (int)n)));
        long total = 4 * (12 + 4 + 1 + 0 + 12);
        Assert.Equal(8 + (long)n + total, bytes.Length);
        Assert.Equal(0, doc.RootElement.GetProperty("scalar").GetProperty("shape").GetArrayLength());
    }

    [Fact]
    public void HandBuiltFileWithSeveralDtypesLoads()
    {
        string header =
            "{\"__metadata__\":{\"k\":\"v\"}," +
            "\"f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"f16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}," +
            "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[12,16]}," +
            "\"f64\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[16,24]}," +
            "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]}," +
            "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[32,36]}}";
        byte[] data =
        [
            0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x20, 0xC1, // F32 1.5, -10
            0x00, 0x3C, 0x00, 0xC0,                         // F16 1.0, -2.0
            0x80, 0x3F, 0x00, 0x3F,                         // BF16 1.0, 0.5
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0x3F, // F64 0.25
            0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // I64 -3
            0x07, 0x00, 0x00, 0x00,                         // I32 7
        ];
        var loaded = Safetensors.Load(WriteRaw(header, data));
        Assert.Equal([1.5f, -10f], loaded.Tensors["f32"].ToArray());
        Assert.Equal([1f, -2f], loaded.Tensors["f16"].ToArray());
        Assert.Equal([1f, 0.5f], loaded.Tensors["bf16"].ToArray());
        Assert.Equal([1, 2], loaded.Tensors["bf16"].Shape);
        Assert.Equal(0.25f, loaded.Tensors["f64"].Item());
        Assert.Equal(0, loaded.Tensors["f64"].Rank);
        Assert.Equal(-3f, loaded.Tensors["i64"].Item());
        Assert.Equal(7f, loaded.Tensors["i32"].Item());
        Assert.Equal("v", loaded.Metadata["k"]);
        Assert.Equal(["bf16", "f16", "f32", "f64", "i32", "i64"], loaded.Tensors.Keys);
    }

    [Fact]
    public void EmptyFileContentRoundTrips()
    {
        string path = PathOf("empty.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor>());
        Assert.Equal(16, new FileInfo(path).Length);
        var loaded = Safetensors.Load(path);
        Assert.Empty(loaded.Tensors);
        Assert.Empty(loaded.Metadata);
    }

    [Fact]
    public void TruncatedFilesAreRejected()
    {
        string path = PathOf("t.safetensors");
        Safetensors.Save(path, Sample());
        var full = File.ReadAllBytes(path);

        File.WriteAllBytes(path, full[..^4]);
        Assert.Contains("data section", LoadFails(path).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, full[..20]);
        Assert.Contains("header length", LoadFails(path).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, full[..5]);
        Assert.Contains("too short", LoadFails(path).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, []);
        LoadFails(path);
    }

    [Fact]
    public void CorruptHeadersAreRejected()
    {
        string path = PathOf("c.safetensors");
        Safetensors.Save(path, Sample());
        var bytes = File.ReadAllBytes(path);
        bytes[8] = (byte)'x';
        File.WriteAllBytes(path, bytes);
        Assert.Contains("not valid JSON", LoadFails(path).Message, StringComparison.Ordinal);

        bytes[8] = 0xFF;
        File.WriteAllBytes(path, bytes);
        LoadFails(path);

        Assert.Contains("JSON object", LoadFails(WriteRaw("[1, 2]", [])).Message, StringComparison.Ordinal);
        var dup = LoadFails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", []));
        Assert.Contains("'a' twice", dup.Message, StringComparison.Ordinal);
        Assert.Contains("must be a string", LoadFails(WriteRaw("{\"__metadata__\":{\"k\":1}}", [])).Message, StringComparison.Ordinal);
        Assert.Contains("dtype", LoadFails(WriteRaw("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])).Message, StringComparison.Ordinal);
        Assert.Contains("shape", LoadFails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4])).Message, StringComparison.Ordinal);
        Assert.Contains("shape", LoadFails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4])).Message, StringComparison.Ordinal);
        Assert.Contains("data_offsets", LoadFails(WriteRaw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeHeaderLengthIsRejectedWithoutAllocating()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        string path = PathOf("h.safetensors");
        File.WriteAllBytes(path, bytes);
        Assert.Contains("header length", LoadFails(path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownDtypeIsRejected()
    {
        var ex = LoadFails(WriteRaw("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]));
        Assert.Contains("unsupported dtype 'F8_E4M3'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InconsistentOffsetsAreRejected()
    {
        const string A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        const string B = "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        Assert.Contains("overlaps", LoadFails(WriteRaw("{" + A + "[0,8]}," + B + "[4,12]}}", new byte[12])).Message, StringComparison.Ordinal);
        Assert.Contains("belong to no tensor", LoadFails(WriteRaw("{" + A + "[0,8]}," + B + "[12,20]}}", new byte[20])).Message, StringComparison.Ordinal);
        Assert.Contains("belong to no tensor", LoadFails(WriteRaw("{" + A + "[4,12]}}", new byte[12])).Message, StringComparison.Ordinal);
        Assert.Contains("trailing", LoadFails(WriteRaw("{" + A + "[0,8]}}", new byte[16])).Message, StringComparison.Ordinal);
        Assert.Contains("beyond", LoadFails(WriteRaw("{" + A + "[0,8]}}", new byte[4])).Message, StringComparison.Ordinal);
        var size = LoadFails(WriteRaw("{" + A + "[0,12]}}", new byte[12]));
        Assert.Contains("needs 8 bytes", size.Message, StringComparison.Ordinal);
        Assert.Contains("'a'", size.Message, StringComparison.Ordinal);
        Assert.Contains("invalid data_offsets", LoadFails(WriteRaw("{" + A + "[8,0]}}", new byte[8])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtomicSaveOverwritesAndLeavesNoTemporaryFiles()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllText(path, "old contents that are not a safetensors file");
        Safetensors.Save(path, Sample());
        Assert.Equal(5, Safetensors.Load(path).Tensors.Count);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["only"] = Tensor.Ones(2) });
        Assert.Equal(["only"], Safetensors.Load(path).Tensors.Keys);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void FailedSaveLeavesNoFileBehind()
    {
        // Invalid input is rejected before anything is written.
        string path = PathOf("bad.safetensors");
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Ones(1) }));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { [""] = Tensor.Ones(1) }));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = null! }));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));

        // The final move fails (the destination is a directory): the temporary file is removed.
        string blocked = PathOf("blocked.safetensors");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<Exception>(() => Safetensors.Save(blocked, Sample()));
        Assert.Equal([blocked], Directory.GetFileSystemEntries(_dir));

        Assert.Throws<DirectoryNotFoundException>(() => Safetensors.Save(PathOf("missing/x.safetensors"), Sample()));
        Assert.Throws<FileNotFoundException>(() => Safetensors.Load(PathOf("nope.safetensors")));
    }

    [Fact]
    public void ModuleSaveAndLoadRoundTrip()
    {
        var source = new Sequential(new Linear(4, 3, rng: new Prng(1)), new ReLU(), new BatchNorm1d(3), new Linear(3, 2, rng: new Prng(2)));
        ((BatchNormBase)source[2]).RunningMean.Span.Fill(0.5f);
        string path = PathOf("net.safetensors");
        source.Save(path, new Dictionary<string, string> { ["epoch"] = "3" });
        Assert.Equal("3", Safetensors.Load(path).Metadata["epoch"]);

        var target = new Sequential(new Linear(4, 3, rng: new Prng(5)), new ReLU(), new BatchNorm1d(3), new Linear(3, 2, rng: new Prng(6)));
        var result = target.Load(path);
        Assert.Empty(result.MissingKeys);
        var expected = source.StateDict();
        foreach (var (name, t) in target.StateDict())
        {
            Assert.Equal(expected[name].Shape, t.Shape);
            Assert.Equal(expected[name].ToArray(), t.ToArray());
        }

        var wrong = new Sequential(new Linear(4, 3), new ReLU(), new BatchNorm1d(3), new Linear(3, 5));
        var ex = Assert.Throws<ArgumentException>(() => wrong.Load(path));
        Assert.Contains("'3.weight'", ex.Message, StringComparison.Ordinal);
    }
}

using System.Text;
using DeepMetric.Data;

namespace DeepMetric.Tests.Data;

public sealed class FeatureDatasetTests
{
    // ---- CSV ----

    [Fact]
    public void CsvWithHeaderDetectedAndNamedLabelAndIdColumns()
    {
        using var dir = new TempDir();
        string path = dir.File("f.csv");
        File.WriteAllText(path, "id,x0,label,x1\n a.png , 1.5,cat,-2e-1\n\nb.png,0,dog,3\nc.png,1e3,cat,0.25\n");
        var ds = CsvFeatureReader.Read(path, new CsvFeatureOptions { LabelColumn = "label", IdColumn = "id" });
        Assert.Equal(3, ds.Count);
        Assert.Equal(2, ds.Dimension);
        Assert.Equal([1.5f, -0.2f, 0f, 3f, 1000f, 0.25f], ds.Features.ToArray());
        Assert.Equal(["cat", "dog"], ds.ClassNames);
        Assert.Equal([0, 1, 0], ds.Labels.ToArray());
        Assert.Equal(["a.png", "b.png", "c.png"], ds.Ids!);
    }

    [Fact]
    public void CsvWithoutHeaderIntegerLabelsLastColumn()
    {
        using var dir = new TempDir();
        string path = dir.File("f.csv");
        File.WriteAllText(path, "0.5;1;3\n-1;2;0\n");
        var ds = CsvFeatureReader.Read(path, new CsvFeatureOptions { LabelColumnIndex = -1, Delimiter = ';' });
        Assert.Equal(2, ds.Count);
        Assert.Equal([0.5f, 1f, -1f, 2f], ds.Features.ToArray());
        Assert.Equal([3, 0], ds.Labels.ToArray());
        Assert.Equal(4, ds.ClassCount);   // "0" … "3"
        Assert.Null(ds.Ids);
    }

    [Fact]
    public void CsvRaggedRowNamesFileAndLine()
    {
        using var dir = new TempDir();
        string path = dir.File("rag.csv");
        File.WriteAllText(path, "label,a,b\n1,2,3\n1,2\n");
        var ex = Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Read(path));
        Assert.Contains("rag.csv", ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 columns, expected 3", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1,2,x\n", "line 2, column 3")]
    [InlineData("1,NaN,2\n", "line 2, column 2")]
    [InlineData("1,2,1,5\n", "line 2, column 3")]   // comma decimal in a German locale would be two cells
    public void CsvBadNumberNamesLineAndColumn(string row, string where)
    {
        using var dir = new TempDir();
        string path = dir.File("bad.csv");
        File.WriteAllText(path, "1,2,3\n" + row);
        if (row.Split(',').Length != 3)
        {
            var ragged = Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Read(path));
            Assert.Contains("line 2", ragged.Message, StringComparison.Ordinal);
            return;
        }
        var ex = Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Read(path, new CsvFeatureOptions { HasHeader = false }));
        Assert.Contains("bad.csv", ex.Message, StringComparison.Ordinal);
        Assert.Contains(where, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvEmptyAndMissingColumnAndMissingFile()
    {
        using var dir = new TempDir();
        string empty = dir.File("empty.csv");
        File.WriteAllText(empty, "\n  \n");
        Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Read(empty));
        string path = dir.File("f.csv");
        File.WriteAllText(path, "a,b\n1,2\n");
        var ex = Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Read(path, new CsvFeatureOptions { LabelColumn = "label" }));
        Assert.Contains("'label'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CsvFeatureReader.Read(path, new CsvFeatureOptions { LabelColumnIndex = 5 }));
        Assert.Throws<FileNotFoundException>(() => CsvFeatureReader.Read(dir.File("none.csv")));
    }

    // ---- NPY ----

    private static byte[] Npy(int major, string descr, bool fortran, string shape, byte[] data)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int prefix = major == 1 ? 10 : 12;
        int total = prefix + dict.Length + 1;
        int pad = (64 - (total % 64)) % 64;
        string header = dict + new string(' ', pad) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.Add((byte)major);
        bytes.Add(0);
        if (major == 1)
        {
            bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        }
        else
        {
            bytes.AddRange(BitConverter.GetBytes((uint)header.Length));
        }
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }

    private static byte[] Bytes<T>(params T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NpyFloat32AllVersions(int major)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.npy"), Npy(major, "<f4", false, "(2, 3)", Bytes(1f, 2f, 3f, 4f, 5f, -6.5f)));
        File.WriteAllBytes(dir.File("y.npy"), Npy(major, "<i4", false, "(2,)", Bytes(7, 0)));
        var ds = NpyReader.Load(dir.File("x.npy"), dir.File("y.npy"));
        Assert.Equal(2, ds.Count);
        Assert.Equal(3, ds.Dimension);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, -6.5f], ds.Features.ToArray());
        Assert.Equal([7, 0], ds.Labels.ToArray());
        Assert.Equal(8, ds.ClassCount);
    }

    [Fact]
    public void NpyFloat64ConvertedAndInt64LabelsAndTextLabels()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.npy"), Npy(1, "<f8", false, "(3, 1)", Bytes(0.1, 1e-3, -2.0)));
        File.WriteAllBytes(dir.File("y.npy"), Npy(1, "<i8", false, "(3, 1)", Bytes(2L, 1L, 2L)));
        var ds = NpyReader.Load(dir.File("x.npy"), dir.File("y.npy"));
        Assert.Equal([(float)0.1, (float)1e-3, -2f], ds.Features.ToArray());
        Assert.Equal([2, 1, 2], ds.Labels.ToArray());

        File.WriteAllText(dir.File("y.txt"), "shirt\nbag\n\nshirt\n");
        var named = NpyReader.Load(dir.File("x.npy"), dir.File("y.txt"));
        Assert.Equal(["bag", "shirt"], named.ClassNames);
        Assert.Equal([1, 0, 1], named.Labels.ToArray());
    }

    [Fact]
    public void NpyBigEndianFloat()
    {
        using var dir = new TempDir();
        byte[] be = [0x3F, 0x80, 0, 0, 0x40, 0, 0, 0];   // 1.0f, 2.0f big-endian
        File.WriteAllBytes(dir.File("x.npy"), Npy(1, ">f4", false, "(1, 2)", be));
        var (values, rows, cols) = NpyReader.ReadFeatures(dir.File("x.npy"));
        Assert.Equal((1, 2), (rows, cols));
        Assert.Equal([1f, 2f], values);
    }

    [Fact]
    public void NpyErrors()
    {
        using var dir = new TempDir();
        string p = dir.File("bad.npy");
        File.WriteAllBytes(p, Npy(1, "<f4", true, "(2, 2)", Bytes(1f, 2f, 3f, 4f)));
        var ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFeatures(p));
        Assert.Contains("Fortran", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.npy", ex.Message, StringComparison.Ordinal);

        File.WriteAllBytes(p, Npy(1, "<f4", false, "(2, 2)", Bytes(1f, 2f, 3f)));
        ex = Assert.Throws<InvalidDataException>(() => NpyReader.ReadFeatures(p));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);

        File.WriteAllBytes(p, Npy(1, "<f4", false, "(4,)", Bytes(1f, 2f, 3f, 4f)));
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadFeatures(p));
        File.WriteAllBytes(p, Npy(1, "<i2", false, "(2, 1)", Bytes((short)1, (short)2)));
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadFeatures(p));
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadLabels(p));
        File.WriteAllBytes(p, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadFeatures(p));
        File.WriteAllBytes(p, Npy(1, "<f4", false, "(2, 2)", Bytes(1f, 2f, 3f, 4f))[..20]);
        Assert.Throws<InvalidDataException>(() => NpyReader.ReadFeatures(p));

        File.WriteAllBytes(dir.File("x.npy"), Npy(1, "<f4", false, "(2, 1)", Bytes(1f, 2f)));
        File.WriteAllBytes(dir.File("y.npy"), Npy(1, "<i4", false, "(3,)", Bytes(1, 2, 3)));
        Assert.Throws<InvalidDataException>(() => NpyReader.Load(dir.File("x.npy"), dir.File("y.npy")));
        Assert.Throws<FileNotFoundException>(() => NpyReader.ReadFeatures(dir.File("none.npy")));
    }

    // ---- FeatureDataset ----

    [Fact]
    public void ItemsAreVectorsOfDimensionD()
    {
        var ds = new FeatureDataset([1f, 2f, 3f, 4f, 5f, 6f], [1, 0], 3, ["a", "b"], ["r0", "r1"]);
        Assert.Equal([4f, 5f, 6f], ds.Row(1).ToArray());
        IDataset data = ds;
        Assert.Equal([3], data.ItemShape.ToArray());
        var batch = data.Batch([1, 0, 1], BatchRequest.Training(5));
        Assert.Equal([3, 3], batch.Shape);
        Assert.Equal([4f, 5f, 6f, 1f, 2f, 3f, 4f, 5f, 6f], batch.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Batch([2]));
        var sub = Assert.IsType<FeatureDataset>(data.Subset([1]));
        Assert.Equal([4f, 5f, 6f], sub.Features.ToArray());
        Assert.Equal([0], sub.Labels.ToArray());
        Assert.Equal(["r1"], sub.Ids!);
        Assert.Equal(["a", "b"], sub.ClassNames);
    }

    [Fact]
    public void ConstructorRejectsBadInput()
    {
        Assert.Throws<ArgumentException>(() => new FeatureDataset([1f, 2f, 3f], [0, 1], 2));
        Assert.Throws<ArgumentException>(() => new FeatureDataset([1f, 2f], [-1], 2));
        Assert.Throws<ArgumentException>(() => new FeatureDataset([1f, 2f], [2], 2, ["a", "b"]));
        Assert.Throws<ArgumentException>(() => new FeatureDataset([1f, 2f], [0], 2, null, ["x", "y"]));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new FeatureDataset([1f, 2f], [0], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureDataset([1f, 2f], [0], 2).Row(1));
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DeepMetric.Data;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) of feature matrices and label vectors, and label
/// text files, into a <see cref="FeatureDataset"/>.
/// </summary>
/// <remarks>
/// Features: dtype float32 or float64 (converted to float32), either byte order, shape [N, D], C (row-major) order.
/// Labels: dtype int32 or int64 (either byte order), shape [N] or [N, 1]; or a text file with one label per line
/// (blank lines skipped; all non-negative integers are used as they are, otherwise each distinct string is a class
/// numbered in ordinal order). Fortran-ordered arrays, object arrays and other dtypes are rejected with a clear error.
/// See the format description in the NumPy documentation (<c>numpy.lib.format</c>).
/// </remarks>
public static class NpyReader
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Loads features from <paramref name="featuresPath"/> (.npy) and labels from <paramref name="labelsPath"/> (.npy, or text otherwise).</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or truncated, has an unsupported dtype/order/shape, or the row counts differ.</exception>
    public static FeatureDataset Load(string featuresPath, string labelsPath)
    {
        var (values, rows, columns) = ReadFeatures(featuresPath);
        int[] labels;
        string[]? classNames = null;
        if (labelsPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            labels = ReadLabels(labelsPath);
            foreach (int label in labels)
            {
                if (label < 0)
                {
                    throw new InvalidDataException($"Label file '{labelsPath}': label {label} is negative.");
                }
            }
        }
        else
        {
            (labels, classNames) = ReadLabelText(labelsPath);
        }
        if (labels.Length != rows)
        {
            throw new InvalidDataException($"'{featuresPath}' holds {rows} rows but '{labelsPath}' holds {labels.Length} labels.");
        }
        return new FeatureDataset(values, labels, columns, classNames, null, takeOwnership: true);
    }

    /// <summary>Reads a float32/float64 matrix of shape [N, D] (converted to float32, row-major).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, truncated, Fortran-ordered, not 2-D or not float.</exception>
    public static (float[] Values, int Rows, int Columns) ReadFeatures(string path)
    {
        var (header, memory) = ReadFile(path);
        var data = memory.Span;
        if (header.Shape.Length != 2)
        {
            throw new InvalidDataException($"NPY file '{path}': features must have shape [N, D], got ({string.Join(", ", header.Shape)}).");
        }
        int rows = header.Shape[0];
        int columns = header.Shape[1];
        if (columns < 1)
        {
            throw new InvalidDataException($"NPY file '{path}': features need at least one column, got shape ({rows}, {columns}).");
        }
        long count = (long)rows * columns;
        if (count > Array.MaxLength)
        {
            throw new InvalidDataException($"NPY file '{path}': {rows}×{columns} values is too many.");
        }
        var values = GC.AllocateUninitializedArray<float>((int)count);
        switch (header.Kind, header.ItemSize)
        {
            case ('f', 4):
                CheckLength(path, data, count * 4);
                for (int i = 0; i < values.Length; i++)
                {
                    var bytes = data.Slice(i * 4, 4);
                    values[i] = header.LittleEndian ? BinaryPrimitives.ReadSingleLittleEndian(bytes) : BinaryPrimitives.ReadSingleBigEndian(bytes);
                }
                break;
            case ('f', 8):
                CheckLength(path, data, count * 8);
                for (int i = 0; i < values.Length; i++)
                {
                    var bytes = data.Slice(i * 8, 8);
                    values[i] = (float)(header.LittleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(bytes) : BinaryPrimitives.ReadDoubleBigEndian(bytes));
                }
                break;
            default:
                throw new InvalidDataException($"NPY file '{path}': features must be float32 ('<f4') or float64 ('<f8'), got '{header.Descr}'.");
        }
        // NaN or infinity would poison training and every distance later (and float64 beyond float32 turns infinite):
        // refuse it here, where the row can still be named.
        int bad = IndexOfNonFinite(values);
        if (bad >= 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"NPY file '{path}': row {bad / columns}, column {bad % columns} is {(float.IsNaN(values[bad]) ? "NaN" : "infinite (or beyond the float32 range)")}; features must be finite numbers."));
        }
        return (values, rows, columns);
    }

    /// <summary>Reads an int32/int64 label vector of shape [N] or [N, 1].</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, truncated, Fortran-ordered, of another shape or dtype, or an int64 label does not fit in int32.</exception>
    public static int[] ReadLabels(string path)
    {
        var (header, memory) = ReadFile(path);
        var data = memory.Span;
        bool vector = header.Shape.Length == 1 || (header.Shape.Length == 2 && header.Shape[1] == 1);
        if (!vector)
        {
            throw new InvalidDataException($"NPY file '{path}': labels must have shape [N] or [N, 1], got ({string.Join(", ", header.Shape)}).");
        }
        int n = header.Shape[0];
        var labels = new int[n];
        switch (header.Kind, header.ItemSize)
        {
            case ('i', 4):
                CheckLength(path, data, (long)n * 4);
                for (int i = 0; i < n; i++)
                {
                    var bytes = data.Slice(i * 4, 4);
                    labels[i] = header.LittleEndian ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : BinaryPrimitives.ReadInt32BigEndian(bytes);
                }
                break;
            case ('i', 8):
                CheckLength(path, data, (long)n * 8);
                for (int i = 0; i < n; i++)
                {
                    var bytes = data.Slice(i * 8, 8);
                    long v = header.LittleEndian ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : BinaryPrimitives.ReadInt64BigEndian(bytes);
                    if (v is < int.MinValue or > int.MaxValue)
                    {
                        throw new InvalidDataException($"NPY file '{path}': label {v} at index {i} does not fit in int32.");
                    }
                    labels[i] = (int)v;
                }
                break;
            default:
                throw new InvalidDataException($"NPY file '{path}': labels must be int32 ('<i4') or int64 ('<i8'), got '{header.Descr}'.");
        }
        return labels;
    }

    /// <summary>Reads a text file of one label per line (see the remarks for how strings become labels).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static (int[] Labels, string[] ClassNames) ReadLabelText(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Label file '{path}' does not exist.", path);
        }
        var raw = new List<string>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            string label = line.Trim();
            if (label.Length == 0)
            {
                continue;
            }
            if (LabelEncoding.Problem(label) is string problem)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Label file '{path}' line {lineNo}: {problem}."));
            }
            raw.Add(label);
        }
        return LabelEncoding.Encode(raw);
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }
        return -1;
    }

    private static void CheckLength(string path, ReadOnlySpan<byte> data, long expected)
    {
        if (data.Length < expected)
        {
            throw new InvalidDataException($"NPY file '{path}' is truncated: the header announces {expected} data bytes but {data.Length} follow.");
        }
    }

    private static (NpyHeader Header, ReadOnlyMemory<byte> Data) ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"NPY file '{path}' does not exist.", path);
        }
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a NumPy .npy file (missing the \\x93NUMPY magic).");
        }
        int major = bytes[6];
        int headerStart;
        long headerLength;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2));
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12)
                {
                    throw new InvalidDataException($"NPY file '{path}' is truncated inside its header.");
                }
                headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8, 4));
                headerStart = 12;
                break;
            default:
                throw new InvalidDataException($"NPY file '{path}': format version {major}.{bytes[7]} is not supported (1.0, 2.0, 3.0 are).");
        }
        if (headerStart + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"NPY file '{path}' is truncated inside its header.");
        }
        // Version 3 allows UTF-8 in the header; 1 and 2 are Latin-1 (ASCII in practice).
        var encoding = major == 3 ? Encoding.UTF8 : Encoding.Latin1;
        string text = encoding.GetString(bytes, headerStart, (int)headerLength);
        var header = NpyHeader.Parse(text, path);
        return (header, bytes.AsMemory(headerStart + (int)headerLength));
    }

    private sealed record NpyHeader(string Descr, char Kind, int ItemSize, bool LittleEndian, int[] Shape)
    {
        public static NpyHeader Parse(string text, string path)
        {
            var parser = new DictParser(text, path);
            var dict = parser.ParseDict();
            if (!dict.TryGetValue("descr", out var d) || d is not string descr)
            {
                throw parser.Error("the header has no string 'descr'");
            }
            if (!dict.TryGetValue("fortran_order", out var f) || f is not bool fortran)
            {
                throw parser.Error("the header has no boolean 'fortran_order'");
            }
            if (fortran)
            {
                throw new InvalidDataException(
                    $"NPY file '{path}' is in Fortran (column-major) order; only C order is supported (save with numpy.ascontiguousarray).");
            }
            if (!dict.TryGetValue("shape", out var s) || s is not int[] shape)
            {
                throw parser.Error("the header has no tuple 'shape'");
            }
            if (descr.Length < 3 || descr[0] is not ('<' or '>' or '|' or '='))
            {
                throw new InvalidDataException($"NPY file '{path}': dtype '{descr}' is not supported.");
            }
            if (!int.TryParse(descr.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
            {
                throw new InvalidDataException($"NPY file '{path}': dtype '{descr}' is not supported.");
            }
            bool little = descr[0] switch
            {
                '<' => true,
                '>' => false,
                _ => BitConverter.IsLittleEndian,
            };
            return new NpyHeader(descr, descr[1], size, little, shape);
        }
    }

    /// <summary>Parses the Python dict literal of an .npy header: string keys; string, bool or int-tuple values.</summary>
    private sealed class DictParser(string text, string path)
    {
        private int _pos;

        public InvalidDataException Error(string what) =>
            new($"NPY file '{path}': malformed header ({what}) in \"{text.TrimEnd()}\".");

        public Dictionary<string, object> ParseDict()
        {
            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}')
                {
                    _pos++;
                    return dict;
                }
                string key = ParseString();
                Expect(':');
                SkipSpace();
                dict[key] = Peek() switch
                {
                    '\'' or '"' => ParseString(),
                    '(' => ParseTuple(),
                    _ => ParseBool(),
                };
                SkipSpace();
                if (Peek() == ',')
                {
                    _pos++;
                }
                else if (Peek() != '}')
                {
                    throw Error($"expected ',' or '}}' at offset {_pos}");
                }
            }
        }

        private char Peek() => _pos < text.Length ? text[_pos] : throw Error("unexpected end");

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c)
            {
                throw Error($"expected '{c}' at offset {_pos}");
            }
            _pos++;
        }

        private string ParseString()
        {
            SkipSpace();
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error($"expected a quoted string at offset {_pos}");
            }
            int end = text.IndexOf(quote, _pos + 1);
            if (end < 0)
            {
                throw Error("unterminated string");
            }
            string s = text[(_pos + 1)..end];
            _pos = end + 1;
            return s;
        }

        private bool ParseBool()
        {
            if (string.CompareOrdinal(text, _pos, "True", 0, 4) == 0)
            {
                _pos += 4;
                return true;
            }
            if (string.CompareOrdinal(text, _pos, "False", 0, 5) == 0)
            {
                _pos += 5;
                return false;
            }
            throw Error($"unexpected value at offset {_pos}");
        }

        private int[] ParseTuple()
        {
            Expect('(');
            var dims = new List<int>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')')
                {
                    _pos++;
                    return [.. dims];
                }
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }
                // Python 2 era writers emit "3L"; accept the suffix.
                if (!int.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int dim))
                {
                    throw Error($"bad dimension at offset {start}");
                }
                if (_pos < text.Length && text[_pos] == 'L')
                {
                    _pos++;
                }
                dims.Add(dim);
                SkipSpace();
                if (Peek() == ',')
                {
                    _pos++;
                }
                else if (Peek() != ')')
                {
                    throw Error($"expected ',' or ')' at offset {_pos}");
                }
            }
        }
    }
}

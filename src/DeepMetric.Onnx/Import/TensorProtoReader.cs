using System.Buffers.Binary;
using System.Runtime.InteropServices;
using DeepMetric.Onnx.Proto;
using DeepMetric.Tensors;

namespace DeepMetric.Onnx.Import;

/// <summary>Decodes a <see cref="TensorProto"/> (typed fields or little-endian raw_data) into an <see cref="OnnxValue"/>.</summary>
internal static class TensorProtoReader
{
    public static OnnxValue Read(TensorProto t, string what)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
        {
            throw new OnnxImportException($"{what}: tensor '{t.Name}' keeps its data in an external file, which is not supported; save the model with its weights inside the .onnx file.");
        }
        if (t.Segment is not null)
        {
            throw new OnnxImportException($"{what}: tensor '{t.Name}' is split into segments, which is not supported.");
        }
        var dims = new int[t.Dims.Count];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (t.Dims[i] < 0 || t.Dims[i] > int.MaxValue)
            {
                throw new OnnxImportException($"{what}: tensor '{t.Name}' has an invalid dimension {t.Dims[i]}.");
            }
            dims[i] = (int)t.Dims[i];
            count *= dims[i];
        }
        if (count > int.MaxValue)
        {
            throw new OnnxImportException($"{what}: tensor '{t.Name}' has too many elements ({count}).");
        }
        int n = (int)count;
        var raw = t.RawData.Span;
        var type = (TensorProto.Types.DataType)t.DataType;
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
            {
                var data = new float[n];
                if (!raw.IsEmpty)
                {
                    CheckRaw(raw, n, 4, t, what);
                    if (BitConverter.IsLittleEndian)
                    {
                        MemoryMarshal.Cast<byte, float>(raw).CopyTo(data);
                    }
                    else
                    {
                        for (int i = 0; i < n; i++)
                        {
                            data[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                        }
                    }
                }
                else
                {
                    CheckCount(t.FloatData.Count, n, t, what);
                    t.FloatData.CopyTo(data, 0);
                }
                return OnnxValue.Of(Tensor.FromArray(data, dims));
            }
            case TensorProto.Types.DataType.Double:
            {
                var data = new float[n];
                for (int i = 0; i < n; i++)
                {
                    data[i] = (float)(raw.IsEmpty ? Element(t.DoubleData, i, n, t, what) : BinaryPrimitives.ReadDoubleLittleEndian(Raw(raw, n, 8, t, what)[(8 * i)..]));
                }
                return OnnxValue.Of(Tensor.FromArray(data, dims));
            }
            case TensorProto.Types.DataType.Float16:
            {
                var data = new float[n];
                for (int i = 0; i < n; i++)
                {
                    ushort bits = raw.IsEmpty ? (ushort)Element(t.Int32Data, i, n, t, what) : BinaryPrimitives.ReadUInt16LittleEndian(Raw(raw, n, 2, t, what)[(2 * i)..]);
                    data[i] = (float)BitConverter.UInt16BitsToHalf(bits);
                }
                return OnnxValue.Of(Tensor.FromArray(data, dims));
            }
            case TensorProto.Types.DataType.Int64:
            {
                var data = new long[n];
                for (int i = 0; i < n; i++)
                {
                    data[i] = raw.IsEmpty ? Element(t.Int64Data, i, n, t, what) : BinaryPrimitives.ReadInt64LittleEndian(Raw(raw, n, 8, t, what)[(8 * i)..]);
                }
                return OnnxValue.OfInts(data, dims);
            }
            case TensorProto.Types.DataType.Int32:
            case TensorProto.Types.DataType.Int16:
            case TensorProto.Types.DataType.Int8:
            case TensorProto.Types.DataType.Uint8:
            case TensorProto.Types.DataType.Uint16:
            case TensorProto.Types.DataType.Bool:
            {
                int width = type switch
                {
                    TensorProto.Types.DataType.Int32 => 4,
                    TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
                    _ => 1,
                };
                var data = new long[n];
                for (int i = 0; i < n; i++)
                {
                    if (raw.IsEmpty)
                    {
                        data[i] = Element(t.Int32Data, i, n, t, what);
                        continue;
                    }
                    var r = Raw(raw, n, width, t, what)[(width * i)..];
                    data[i] = type switch
                    {
                        TensorProto.Types.DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(r),
                        TensorProto.Types.DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(r),
                        TensorProto.Types.DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(r),
                        TensorProto.Types.DataType.Int8 => (sbyte)r[0],
                        _ => r[0],
                    };
                }
                return OnnxValue.OfInts(data, dims, type == TensorProto.Types.DataType.Bool);
            }
            default:
                throw new OnnxImportException($"{what}: tensor '{t.Name}' has element type {type}, which is not supported (float, float16, double and integer types are).");
        }
    }

    private static ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> raw, int n, int width, TensorProto t, string what)
    {
        CheckRaw(raw, n, width, t, what);
        return raw;
    }

    private static void CheckRaw(ReadOnlySpan<byte> raw, int n, int width, TensorProto t, string what)
    {
        if (raw.Length != (long)n * width)
        {
            throw new OnnxImportException($"{what}: tensor '{t.Name}' has {raw.Length} bytes of raw data but its shape [{string.Join(", ", t.Dims)}] needs {(long)n * width}.");
        }
    }

    private static void CheckCount(int have, int n, TensorProto t, string what)
    {
        if (have != n)
        {
            throw new OnnxImportException($"{what}: tensor '{t.Name}' has {have} values but its shape [{string.Join(", ", t.Dims)}] needs {n}.");
        }
    }

    private static T Element<T>(IList<T> list, int i, int n, TensorProto t, string what)
    {
        CheckCount(list.Count, n, t, what);
        return list[i];
    }
}

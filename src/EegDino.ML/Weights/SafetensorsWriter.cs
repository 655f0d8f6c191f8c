using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace EegDino.ML.Weights;

/// <summary>Precision of the tensors a safetensors file is written in.</summary>
internal enum SafetensorsDType
{
    F32,
    F16,
    BF16,
}

/// <summary>
/// Writes safetensors files (see <see cref="SafetensorsReader"/> for the layout). Tensors are
/// written in key order; the header is padded with spaces to a multiple of 8 bytes so the data is
/// aligned. Float16 rounds to nearest even; bfloat16 rounds to nearest even on the upper 16 bits.
/// </summary>
internal static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, WeightTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        string temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Write(stream, tensors, metadata, dtype);
        }
        File.Move(temp, path, overwrite: true);
    }

    public static void Write(Stream stream, IReadOnlyDictionary<string, WeightTensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        int elementSize = dtype == SafetensorsDType.F32 ? 4 : 2;
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

        using var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (string name in names)
            {
                var t = tensors[name];
                long bytes = (long)t.Data.Length * elementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToString());
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        byte[] header = headerBuffer.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        stream.Write(lengthBytes);
        stream.Write(header);
        for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');

        foreach (string name in names)
        {
            float[] data = tensors[name].Data;
            byte[] raw = new byte[data.Length * elementSize];
            for (int i = 0; i < data.Length; i++)
            {
                switch (dtype)
                {
                    case SafetensorsDType.F32: BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), data[i]); break;
                    case SafetensorsDType.F16: BinaryPrimitives.WriteHalfLittleEndian(raw.AsSpan(2 * i), (Half)data[i]); break;
                    default: BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(2 * i), ToBFloat16(data[i])); break;
                }
            }
            stream.Write(raw);
        }
    }

    internal static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40); // keep it a NaN
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EegDino.ML.Samples.Tensors;

/// <summary>A float32 tensor: its shape and its values, row-major.</summary>
internal sealed record FloatTensor(long[] Shape, float[] Data)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// Reads and writes the safetensors files that <c>eegdino encode</c> and <c>eegdino preprocess</c>
/// exchange with Python (<c>safetensors.torch.save_file</c> / <c>load_file</c>): an 8-byte
/// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range,
/// then the data. Reading accepts F32, F64, F16 and BF16 (converted to float32); writing is F32.
/// The library reads model weights itself (<see cref="EegDinoEncoder.Load(string, EegDinoEncoderOptions?)"/>);
/// this is only for signals and outputs.
/// </summary>
internal static class SafetensorsFile
{
    /// <summary>Headers larger than this are refused (a real header is a few kB).</summary>
    private const long MaximumHeaderBytes = 100 << 20;

    public static (Dictionary<string, FloatTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{name} has {bytes.Length} bytes; a safetensors file starts with an 8-byte header length.");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        if (headerLength <= 0 || headerLength > Math.Min(MaximumHeaderBytes, bytes.Length - 8))
            throw new InvalidDataException($"{name} declares a {headerLength}-byte header in a {bytes.Length}-byte file; it is not a safetensors file.");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength)) as JsonObject
                ?? throw new InvalidDataException($"{name}: the safetensors header is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}: the safetensors header is not valid JSON ({e.Message}).", e);
        }
        long dataStart = 8 + headerLength;
        var tensors = new Dictionary<string, FloatTensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, node) in header)
        {
            if (key == "__metadata__")
            {
                if (node is JsonObject m) foreach (var (k, v) in m) metadata[k] = v?.ToString() ?? "";
                continue;
            }
            tensors[key] = ReadTensor(bytes, dataStart, key, node, name);
        }
        return (tensors, metadata);
    }

    private static FloatTensor ReadTensor(byte[] bytes, long dataStart, string key, JsonNode? node, string file)
    {
        try
        {
            string dtype = node!["dtype"]!.GetValue<string>();
            long[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            long begin = node["data_offsets"]![0]!.GetValue<long>(), end = node["data_offsets"]![1]!.GetValue<long>();
            int width = dtype switch
            {
                "F32" => 4,
                "F64" => 8,
                "F16" or "BF16" => 2,
                _ => throw new InvalidDataException($"{file}: tensor '{key}' is {dtype}; F32, F64, F16 or BF16 was expected."),
            };
            long count = shape.Aggregate(1L, (a, d) => d >= 0 ? checked(a * d) : throw new InvalidDataException($"{file}: tensor '{key}' has a negative size in its shape."));
            if (begin < 0 || end < begin || dataStart + end > bytes.Length || end - begin != checked(count * width))
                throw new InvalidDataException($"{file}: tensor '{key}' ({dtype} [{string.Join(", ", shape)}]) has bytes {begin}..{end}, which do not fit its shape or the file.");
            var span = bytes.AsSpan(checked((int)(dataStart + begin)), checked((int)(end - begin)));
            var data = new float[count];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = dtype switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]),
                    "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]),
                    "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(span[(i * 2)..]),
                    _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span[(i * 2)..]) << 16),
                };
            }
            return new FloatTensor(shape, data);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{file}: the header entry of tensor '{key}' is malformed ({e.Message}).", e);
        }
    }

    /// <summary>Writes <paramref name="tensors"/> as F32, in name order, with <paramref name="metadata"/>; replaces the file atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, FloatTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var m = new JsonObject();
            foreach (var (k, v) in metadata) m[k] = v;
            header["__metadata__"] = m;
        }
        long offset = 0;
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, t) in ordered)
        {
            long bytes = (long)t.Data.Length * 4;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8; // the format aligns the data to 8 bytes with spaces
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, json.Length + padding);
            stream.Write(length);
            stream.Write(json);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            var buffer = new byte[4];
            foreach (var (_, t) in ordered)
            {
                if (BitConverter.IsLittleEndian)
                {
                    stream.Write(MemoryMarshal.AsBytes(t.Data.AsSpan()));
                    continue;
                }
                foreach (float v in t.Data)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
                    stream.Write(buffer);
                }
            }
        }
        File.Move(temporary, path, overwrite: true);
    }
}

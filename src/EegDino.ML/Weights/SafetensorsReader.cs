using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace EegDino.ML.Weights;

/// <summary>
/// Reads safetensors files: an 8-byte little-endian header length N, N bytes of JSON
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>, then the
/// raw little-endian tensor bytes (offsets relative to the end of the header). F32, F16, BF16 and
/// F64 tensors are converted to float32. Every field is validated against the file's real size
/// before anything is allocated, so a corrupted or hostile file gives an
/// <see cref="EegDinoModelFormatException"/>, never a giant allocation or a native crash.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>Largest header accepted (the format's reference implementation uses 100 MB).</summary>
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (Dictionary<string, WeightTensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads from a seekable stream positioned at the start of the safetensors data.</summary>
    public static (Dictionary<string, WeightTensor> Tensors, Dictionary<string, string> Metadata) Read(Stream stream, string sourceName)
    {
        if (!stream.CanSeek) throw new ArgumentException("The safetensors stream must be seekable.", nameof(stream));
        long start = stream.Position;
        long available = stream.Length - start;
        EegDinoModelFormatException Bad(string message) => new($"{sourceName} is not a valid safetensors file: {message}");

        if (available < 8) throw Bad($"it has {available} bytes; at least the 8-byte header length is needed.");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(available - 8))
            throw Bad($"the header length is {headerLength} bytes but only {available - 8} bytes follow it.");
        if ((long)headerLength > MaxHeaderBytes) throw Bad($"the header length is {headerLength} bytes; at most {MaxHeaderBytes} are accepted.");

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = start + 8 + (long)headerLength;
        long dataLength = stream.Length - dataStart;

        string headerText;
        try
        {
            headerText = StrictUtf8.GetString(header);
        }
        catch (DecoderFallbackException e)
        {
            throw new EegDinoModelFormatException($"{sourceName} is not a valid safetensors file: the header is not valid UTF-8 (byte {e.Index}).", e);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerText);
        }
        catch (JsonException e)
        {
            throw new EegDinoModelFormatException($"{sourceName} is not a valid safetensors file: the header is not valid JSON ({e.Message}).", e);
        }

        var entries = new List<(string Name, string DType, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the header is not a JSON object.");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Bad("__metadata__ is not an object.");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad($"__metadata__ entry '{m.Name}' is not a string.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(property, Bad));
            }
        }

        // Offsets must lie inside the data and tensors must not overlap.
        foreach (var e in entries)
        {
            if (e.Begin < 0 || e.End < e.Begin || e.End > dataLength)
                throw Bad($"tensor '{e.Name}' has data_offsets [{e.Begin}, {e.End}] outside the {dataLength} data bytes.");
            long expected = ElementCount(e.Shape, e.Name, Bad) * ElementSize(e.DType, e.Name, Bad);
            if (e.End - e.Begin != expected)
                throw Bad($"tensor '{e.Name}' ({e.DType} [{string.Join(", ", e.Shape)}]) needs {expected} bytes but data_offsets span {e.End - e.Begin}.");
        }
        var sorted = entries.OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Begin < sorted[i - 1].End)
                throw Bad($"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap.");
        }

        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            stream.Position = dataStart + e.Begin;
            byte[] raw = new byte[e.End - e.Begin];
            stream.ReadExactly(raw);
            tensors[e.Name] = new WeightTensor(e.Shape, DTypeDecoder.ToFloat32(raw, e.DType), e.DType);
        }
        return (tensors, metadata);
    }

    private static (string, string, long[], long, long) ParseEntry(JsonProperty property, Func<string, EegDinoModelFormatException> bad)
    {
        string name = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object) throw bad($"tensor '{name}' is not described by an object.");
        if (!v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw bad($"tensor '{name}' has no dtype string.");
        if (!v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            throw bad($"tensor '{name}' has no shape list.");
        if (!v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw bad($"tensor '{name}' has no data_offsets pair.");
        var dims = new List<long>();
        foreach (var d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw bad($"tensor '{name}' has a shape entry {d.GetRawText()}; non-negative whole numbers are expected.");
            dims.Add(dim);
        }
        long[] pair = new long[2];
        int k = 0;
        foreach (var o in offsets.EnumerateArray())
        {
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out pair[k]))
                throw bad($"tensor '{name}' has a data_offsets entry {o.GetRawText()}; whole numbers are expected.");
            k++;
        }
        return (name, dtype.GetString()!, dims.ToArray(), pair[0], pair[1]);
    }

    private static long ElementCount(long[] shape, string name, Func<string, EegDinoModelFormatException> bad)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d != 0 && count > Array.MaxLength / d)
                throw bad($"tensor '{name}' has shape [{string.Join(", ", shape)}], too large for one array.");
            count *= d;
        }
        return count;
    }

    private static long ElementSize(string dtype, string name, Func<string, EegDinoModelFormatException> bad) =>
        DTypeDecoder.IsFloat(dtype) ? DTypeDecoder.ElementSize(dtype)!.Value
        : throw bad($"tensor '{name}' has dtype '{dtype}'; {DTypeDecoder.FloatTypes} is expected.");
}

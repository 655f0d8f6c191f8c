using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace EegDino.ML.Tests.Weights;

/// <summary>Paths of the committed test data and small helpers to build checkpoints by hand.</summary>
internal static class CheckpointTestFiles
{
    public static string Fixture(string name) => Existing(Path.Combine(AppContext.BaseDirectory, "TestData", "fixtures", name));

    public static string Checkpoint(string name) => Existing(Path.Combine(AppContext.BaseDirectory, "TestData", "checkpoints", name));

    private static string Existing(string path)
    {
        // A missing file is a failure, never a skipped test.
        if (!File.Exists(path)) Assert.Fail($"Test data '{path}' is missing.");
        return path;
    }

    /// <summary>
    /// A deliberately small safetensors reader, so that these tests and the references they compare
    /// with do not depend on the library's reader: every tensor's name, dtype, shape and raw bytes.
    /// </summary>
    private static IEnumerable<(string Name, string DType, long[] Shape, byte[] Bytes)> ReadSafetensorsRaw(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)n));
        var result = new List<(string, string, long[], byte[])>();
        foreach (var p in header.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            result.Add((p.Name, p.Value.GetProperty("dtype").GetString()!, shape, file[(8 + (int)n + offsets[0])..(8 + (int)n + offsets[1])]));
        }
        return result;
    }

    /// <summary>An F32 safetensors file's tensors (any other dtype fails the test).</summary>
    public static Dictionary<string, (long[] Shape, float[] Data)> ReadSafetensorsF32(string path)
    {
        var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        foreach (var (name, dtype, shape, bytes) in ReadSafetensorsRaw(path))
        {
            Assert.AreEqual("F32", dtype, $"{path}: tensor '{name}'");
            result[name] = (shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
        }
        return result;
    }

    /// <summary>A reference file's F64 tensors exactly and its F32 ones widened (the fixtures' io files).</summary>
    public static Dictionary<string, (long[] Shape, double[] Data)> ReadSafetensorsAsDouble(string path)
    {
        var result = new Dictionary<string, (long[], double[])>(StringComparer.Ordinal);
        foreach (var (name, dtype, shape, bytes) in ReadSafetensorsRaw(path))
        {
            result[name] = (shape, dtype switch
            {
                "F64" => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
                "F32" => MemoryMarshal.Cast<byte, float>(bytes).ToArray().Select(v => (double)v).ToArray(),
                _ => throw new AssertFailedException($"{path}: tensor '{name}' is {dtype}; the reference reader takes F64 and F32."),
            });
        }
        return result;
    }

    /// <summary>The records of a zip, in order.</summary>
    public static List<(string Name, byte[] Data)> ReadZip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var list = new List<(string, byte[])>();
        foreach (var e in archive.Entries)
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            list.Add((e.FullName, m.ToArray()));
        }
        return list;
    }

    /// <summary>A zip of the given records, stored uncompressed like torch.save does.</summary>
    public static byte[] WriteZip(IEnumerable<(string Name, byte[] Data)> records)
    {
        var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in records)
            {
                var e = archive.CreateEntry(name, CompressionLevel.NoCompression);
                using var s = e.Open();
                s.Write(data);
            }
        }
        return output.ToArray();
    }

    /// <summary>A torch.save-shaped archive: data.pkl plus storages data/0, data/1...</summary>
    public static byte[] Archive(byte[] pickle, params byte[][] storages)
    {
        var records = new List<(string, byte[])> { ("archive/data.pkl", pickle) };
        for (int i = 0; i < storages.Length; i++) records.Add(($"archive/data/{i}", storages[i]));
        records.Add(("archive/version", Encoding.ASCII.GetBytes("3\n")));
        return WriteZip(records);
    }

    public static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}

/// <summary>Writes pickle opcodes by hand, for inputs torch.save would never produce.</summary>
internal sealed class PickleWriter
{
    private readonly List<byte> _bytes = [0x80, 2];

    public byte[] ToArray() => [.. _bytes];

    public PickleWriter Op(char op) { _bytes.Add((byte)op); return this; }

    public PickleWriter Op(byte op) { _bytes.Add(op); return this; }

    public PickleWriter Raw(params byte[] bytes) { _bytes.AddRange(bytes); return this; }

    public PickleWriter Str(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        _bytes.Add((byte)'X');
        _bytes.AddRange(BitConverter.GetBytes(utf8.Length));
        _bytes.AddRange(utf8);
        return this;
    }

    public PickleWriter Int(long v)
    {
        if (v is >= 0 and < 256) { _bytes.Add((byte)'K'); _bytes.Add((byte)v); }
        else if (v is >= int.MinValue and <= int.MaxValue) { _bytes.Add((byte)'J'); _bytes.AddRange(BitConverter.GetBytes((int)v)); }
        else { _bytes.Add(0x8a); _bytes.Add(8); _bytes.AddRange(BitConverter.GetBytes(v)); }
        return this;
    }

    public PickleWriter Global(string module, string name)
    {
        _bytes.Add((byte)'c');
        _bytes.AddRange(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    public PickleWriter Tuple(params long[] values)
    {
        Op('(');
        foreach (long v in values) Int(v);
        return Op('t');
    }

    /// <summary>Pushes <c>_rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict())</c>.</summary>
    public PickleWriter Tensor(string key, long numel, long offset, long[] size, long[] stride, string storageType = "FloatStorage")
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Op('(');
        Op('(').Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Op('t').Op('Q');
        Int(offset).Tuple(size).Tuple(stride).Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R');
        Op('t').Op('R');
        return this;
    }

    /// <summary>A whole pickle: <c>{'state_dict': {key: tensor}}</c>.</summary>
    public static byte[] StateDict(string key, long numel, long offset, long[] size, long[] stride, string storageType = "FloatStorage") =>
        new PickleWriter().Op('}').Str("state_dict").Op('}').Str(key).Tensor("0", numel, offset, size, stride, storageType).Op('s').Op('s').Op('.').ToArray();
}

using System.Buffers.Binary;
using System.Text;
using CsCheck;
using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Weights;

/// <summary>The safetensors reader and writer: round trips, and malformed files refused safely.</summary>
[TestClass]
public sealed class SafetensorsTests
{
    private static Dictionary<string, WeightTensor> Sample() => new()
    {
        ["a"] = new WeightTensor([2, 3], [1, -2, 3.5f, 0, 1e-3f, -65504]),
        ["b.weight"] = new WeightTensor([4], [0.1f, 0.2f, 0.3f, float.Epsilon]),
        ["scalar"] = new WeightTensor([], [42]),
    };

    private static byte[] Write(Dictionary<string, WeightTensor> tensors, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        using var stream = new MemoryStream();
        SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string> { ["k"] = "v" }, dtype);
        return stream.ToArray();
    }

    private static (Dictionary<string, WeightTensor>, Dictionary<string, string>) Read(byte[] bytes) =>
        SafetensorsReader.Read(new MemoryStream(bytes), "test.safetensors");

    [TestMethod]
    public void Float32RoundTripsExactly()
    {
        var (tensors, metadata) = Read(Write(Sample()));
        Assert.AreEqual("v", metadata["k"]);
        foreach (var (name, t) in Sample())
        {
            CollectionAssert.AreEqual(t.Shape, tensors[name].Shape);
            CollectionAssert.AreEqual(t.Data, tensors[name].Data);
        }
    }

    [TestMethod]
    [DataRow("F16", 1e-3)]
    [DataRow("BF16", 8e-3)]
    public void HalfPrecisionRoundTripsWithinItsPrecision(string dtypeName, double relative)
    {
        var dtype = Enum.Parse<SafetensorsDType>(dtypeName);
        var random = new Random(3);
        float[] values = Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
        var (tensors, _) = Read(Write(new() { ["x"] = new WeightTensor([1000], values) }, dtype));
        Assert.AreEqual(dtype.ToString(), tensors["x"].SourceDType);
        for (int i = 0; i < values.Length; i++)
            Assert.AreEqual(values[i], tensors["x"].Data[i], Math.Abs(values[i]) * relative / 2 + 1e-7, $"value {i}");
    }

    [TestMethod]
    public void HeaderIsAlignedToEightBytes()
    {
        byte[] bytes = Write(Sample());
        Assert.AreEqual(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes) % 8);
    }

    private static byte[] Raw(string header, int dataBytes)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        byte[] bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    [TestMethod]
    [DataRow("""{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}""", 4, "outside the 4 data bytes", DisplayName = "offsets out of range")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}""", 8, "needs 12 bytes", DisplayName = "shape and offsets disagree")]
    [DataRow("""{"x": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}""", 8, "dtype 'I64'", DisplayName = "unknown dtype")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""", 4, "shape entry -1", DisplayName = "negative dimension")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "y": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}""", 8, "overlap", DisplayName = "overlapping tensors")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [1]""", 4, "not valid JSON", DisplayName = "bad JSON")]
    [DataRow("""[1, 2, 3]""", 0, "not a JSON object", DisplayName = "header not an object")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [1]}}""", 4, "data_offsets", DisplayName = "missing offsets")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}""", 4, "too large", DisplayName = "huge shape")]
    public void MalformedFileIsRefused(string header, int dataBytes, string expected)
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => Read(Raw(header, dataBytes)));
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, "test.safetensors");
    }

    [TestMethod]
    public void HeaderLengthPastTheEndIsRefused()
    {
        byte[] bytes = Write(Sample());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue - 3);
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => Read(bytes));
        StringAssert.Contains(e.Message, "header length");
    }

    [TestMethod]
    [DataRow("""{"x": {"dtype": "F32", "shape": [1073741824], "data_offsets": [0, 4294967296]}}""", DisplayName = "4 GiB tensor in a tiny file")]
    [DataRow("""{"x": {"dtype": "F64", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}}""", DisplayName = "shape overflowing")]
    [DataRow("""{"x": {"dtype": "F32", "shape": [1], "data_offsets": [9223372036854775800, 9223372036854775807]}}""", DisplayName = "offsets near long.MaxValue")]
    public void HugeDeclaredTensorsAreRefusedWithoutAllocating(string header)
    {
        byte[] bytes = Raw(header, 8);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsExactly<EegDinoModelFormatException>(() => Read(bytes));
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void AHugeDeclaredHeaderIsRefusedWithoutAllocating()
    {
        byte[] bytes = Write(Sample());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        long before = GC.GetAllocatedBytesForCurrentThread();
        StringAssert.Contains(Assert.ThrowsExactly<EegDinoModelFormatException>(() => Read(bytes)).Message, "header length");
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void TruncatedFileIsRefused()
    {
        byte[] bytes = Write(Sample());
        Assert.ThrowsExactly<EegDinoModelFormatException>(() => Read(bytes[..5]));
        Assert.ThrowsExactly<EegDinoModelFormatException>(() => Read(bytes[..^3]));
    }

    [TestMethod]
    public void RandomCorruptionNeverCrashes()
    {
        byte[] valid = Write(Sample());
        Gen.Select(Gen.Int[0, valid.Length - 1].Array[1, 8], Gen.Byte.Array[8], Gen.Int[0, valid.Length])
            .Sample((positions, values, cut) =>
            {
                byte[] bytes = (byte[])valid.Clone();
                for (int i = 0; i < positions.Length; i++) bytes[positions[i]] = values[i];
                bytes = bytes[..cut];
                try
                {
                    Read(bytes);
                }
                catch (EegDinoModelFormatException)
                {
                    // refused with the documented exception: fine
                }
            }, iter: 3000);
    }
}

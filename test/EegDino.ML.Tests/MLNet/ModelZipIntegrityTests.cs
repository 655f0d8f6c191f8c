using System.Buffers.Binary;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using EegDino.ML.Tests.Training;
using Microsoft.ML;

namespace EegDino.ML.Tests.MLNet;

/// <summary>
/// A damaged model zip never loads silently: the weights entry's SHA-256 (persistence 0x00010002)
/// is checked at load, for both transformers, in process and in a fresh process through ML.NET
/// alone; the message names the entry. Version headers from a newer library are refused with a
/// message that says so. Zips written before the checksum load (CommittedModelZipTests).
/// </summary>
[TestClass]
public sealed class ModelZipIntegrityTests
{
    private const string WeightsEntry = "TransformerChain/EegDinoWeights.safetensors";
    private const string MainStream = "TransformerChain/Model.key";

    public TestContext TestContext { get; set; } = null!;

    private static byte[]? _embeddingZip;
    private static byte[]? _classifierZip;

    /// <summary>A freshly saved embedding transformer (tiny fixture).</summary>
    private static byte[] EmbeddingZip()
    {
        if (_embeddingZip is not null) return _embeddingZip;
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());
        using var transformer = ml.Transforms.EegDinoEmbed(TinyModel.Options(batchSize: 2)).Fit(data);
        using var zip = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, zip);
        return _embeddingZip = zip.ToArray();
    }

    /// <summary>A freshly saved classifier (the tiny fixture's 3-class head, no training).</summary>
    private static byte[] ClassifierZip()
    {
        if (_classifierZip is not null) return _classifierZip;
        var ml = new MLContext(seed: 1);
        IDataView data = TinyClassifierData.Load(ml, TinyClassifierData.FixtureRows());
        using var model = ml.MulticlassClassification.Trainers.EegDino(TinyClassifierData.ScoreOnly()).Fit(data);
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        return _classifierZip = zip.ToArray();
    }

    private static byte[] Zip(string kind) => kind == "embedding" ? EmbeddingZip() : ClassifierZip();

    /// <summary>Loads <paramref name="zip"/> with ML.NET; the exception under ML.NET's reflection wrappers.</summary>
    private static Exception LoadFailure(byte[] zip)
    {
        try
        {
            var loaded = new MLContext(seed: 2).Model.Load(new MemoryStream(zip), out _);
            (loaded as IDisposable)?.Dispose();
        }
        catch (Exception e)
        {
            while (e is TargetInvocationException { InnerException: { } inner }) e = inner;
            return e;
        }
        Assert.Fail("The damaged model zip loaded.");
        return null!;
    }

    [TestMethod]
    [DataRow("embedding")]
    [DataRow("classifier")]
    public void AnIntactZipLoadsWithItsChecksum(string kind)
    {
        string main = Encoding.Latin1.GetString(ReadEntry(Zip(kind), MainStream));
        StringAssert.Contains(main, "WeightsSha256", "the checksum is recorded");
        var loaded = new MLContext(seed: 2).Model.Load(new MemoryStream(Zip(kind)), out _);
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    [DataRow("embedding", 0.25)]
    [DataRow("embedding", 0.5)]
    [DataRow("embedding", 0.9)]
    [DataRow("classifier", 0.25)]
    [DataRow("classifier", 0.5)]
    [DataRow("classifier", 0.9)]
    public void SixtyFourBytesFlippedInsideTheCompressedWeightsAreAClearError(string kind, double where)
    {
        byte[] zip = (byte[])Zip(kind).Clone();
        var (start, length) = CompressedData(zip, WeightsEntry);
        int at = start + (int)(length * where);
        for (int i = 0; i < 64; i++) zip[at + i] ^= 0xA5;

        var e = LoadFailure(zip);

        TestContext.WriteLine(e.Message);
        Assert.IsInstanceOfType<EegDinoModelFormatException>(e, e.ToString());
        StringAssert.Contains(e.Message, $"'{WeightsEntry}'");
        StringAssert.Contains(e.Message, "corrupt");
    }

    [TestMethod]
    [DataRow("embedding")]
    [DataRow("classifier")]
    public void WeightsChangedConsistentlyAreAClearError(string kind)
    {
        // One weight changed and the entry re-compressed with a valid CRC: only the checksum can tell.
        byte[] zip = RewriteEntry(Zip(kind), WeightsEntry, weights =>
        {
            long header = BinaryPrimitives.ReadInt64LittleEndian(weights);
            int firstValue = 8 + (int)header;
            BinaryPrimitives.WriteSingleLittleEndian(weights.AsSpan(firstValue), BinaryPrimitives.ReadSingleLittleEndian(weights.AsSpan(firstValue)) + 0.5f);
        });

        var e = LoadFailure(zip);

        Assert.IsInstanceOfType<EegDinoModelFormatException>(e, e.ToString());
        StringAssert.Contains(e.Message, $"The model zip entry '{WeightsEntry}' is corrupt: its SHA-256 is ");
    }

    [TestMethod]
    [DataRow("embedding")]
    [DataRow("classifier")]
    public void AMissingChecksumInAZipThatShouldHaveOneIsAClearError(string kind)
    {
        byte[] zip = RewriteEntry(Zip(kind), MainStream, main => Replace(main, "WeightsSha256", "WeightsSha25X"));

        var e = LoadFailure(zip);

        Assert.IsInstanceOfType<EegDinoModelFormatException>(e, e.ToString());
        StringAssert.Contains(e.Message, $"lacks the SHA-256 of its entry '{WeightsEntry}'");
        StringAssert.Contains(e.Message, "0x00010002");
    }

    [TestMethod]
    [DataRow("embedding", "EEGDINOE")]
    [DataRow("classifier", "EEGDINOC")]
    public void AZipFromANewerLibraryIsRefusedWithAMessageSayingSo(string kind, string signature)
    {
        // The header's readable version says an older reader cannot read it.
        byte[] zip = RewriteEntry(Zip(kind), MainStream, main =>
        {
            int at = IndexOf(main, Encoding.ASCII.GetBytes(signature));
            BinaryPrimitives.WriteUInt32LittleEndian(main.AsSpan(at + 8), 0x00020001);  // written
            BinaryPrimitives.WriteUInt32LittleEndian(main.AsSpan(at + 12), 0x00020001); // readable
        });

        var e = LoadFailure(zip);

        Assert.IsInstanceOfType<EegDinoModelFormatException>(e, e.ToString());
        StringAssert.Contains(e.Message, "saved by a newer EegDino.ML (persistence version 0x00020001, readable from 0x00020001)");
        StringAssert.Contains(e.Message, "Update EegDino.ML");
    }

    [TestMethod]
    [DataRow("embedding")]
    [DataRow("classifier")]
    public void ADamagedZipIsAClearErrorInAFreshProcess(string kind)
    {
        string dir = Path.Combine(Path.GetTempPath(), "eegdino-integrity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            byte[] zip = (byte[])Zip(kind).Clone();
            var (start, length) = CompressedData(zip, WeightsEntry);
            for (int i = 0; i < 64; i++) zip[start + length / 2 + i] ^= 0xA5;
            string path = Path.Combine(dir, "damaged.zip");
            File.WriteAllBytes(path, zip);
            int size = kind == "embedding" ? TinyModel.Channels * TinyModel.Samples : TinyClassifierData.Channels * TinyClassifierData.Samples;

            string failure = ModelLoadProbe.RunExpectingLoadFailure(TestContext, path, [new float[size]], dir);

            StringAssert.StartsWith(failure, typeof(EegDinoModelFormatException).FullName + ": ");
            StringAssert.Contains(failure, $"'{WeightsEntry}'");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // --- zip surgery

    /// <summary>Where the compressed bytes of <paramref name="entry"/> lie in the zip (from its local header).</summary>
    private static (int Start, int Length) CompressedData(byte[] zip, string entry)
    {
        byte[] name = Encoding.UTF8.GetBytes(entry);
        for (int i = 0; i + 30 < zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) != 0x04034b50) continue; // local file header
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 26));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 28));
            if (!zip.AsSpan(i + 30, nameLength).SequenceEqual(name)) continue;
            using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
            long compressed = archive.GetEntry(entry)!.CompressedLength;
            Assert.IsGreaterThan(1000L, compressed, "the weights entry is compressed data worth damaging");
            return (i + 30 + nameLength + extraLength, (int)compressed);
        }
        Assert.Fail($"No local header for {entry}.");
        return default;
    }

    private static byte[] ReadEntry(byte[] zip, string entry)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var stream = archive.GetEntry(entry)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>A copy of the zip with <paramref name="entry"/>'s bytes changed, every entry re-written (valid CRCs).</summary>
    private static byte[] RewriteEntry(byte[] zip, string entry, Action<byte[]> change)
    {
        using var source = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        bool found = false;
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var e in source.Entries)
            {
                using var input = e.Open();
                using var copy = new MemoryStream();
                input.CopyTo(copy);
                byte[] bytes = copy.ToArray();
                if (e.FullName == entry)
                {
                    change(bytes);
                    found = true;
                }
                using var written = target.CreateEntry(e.FullName, CompressionLevel.Optimal).Open();
                written.Write(bytes);
            }
        }
        Assert.IsTrue(found, $"no entry {entry}");
        return output.ToArray();
    }

    private static void Replace(byte[] bytes, string from, string to)
    {
        int at = IndexOf(bytes, Encoding.ASCII.GetBytes(from));
        Encoding.ASCII.GetBytes(to).CopyTo(bytes, at);
    }

    private static int IndexOf(byte[] bytes, byte[] pattern)
    {
        int at = bytes.AsSpan().IndexOf(pattern);
        Assert.IsGreaterThanOrEqualTo(0, at, $"'{Encoding.ASCII.GetString(pattern)}' not found");
        return at;
    }
}

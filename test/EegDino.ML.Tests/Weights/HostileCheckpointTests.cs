using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using EegDino.ML.Weights.Torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>
/// Small .pt files built to make the reader multiply what they hold: shared sub-dicts (2^40 paths
/// from a 1 KB pickle), one long key referenced at many levels, zip records that all point at the
/// same bytes, a compressed pickle of millions of one-byte opcodes, one big list summarised from
/// many places, and a zip64 directory declaring 2^40 entries. Each is refused (or summarised)
/// quickly, with a message, allocating a bounded amount.
/// </summary>
[TestClass]
public sealed class HostileCheckpointTests
{
    private const long AllocationBound = 64L << 20;

    private static (Exception? Error, TorchCheckpoint? Checkpoint, long Allocated) Read(byte[] zip)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var checkpoint = TorchCheckpointReader.Read(new MemoryStream(zip), "hostile.pt");
            return (null, checkpoint, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (Exception e)
        {
            return (e, null, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    private static string Refused(byte[] zip, long allocationBound = AllocationBound)
    {
        var (error, _, allocated) = Read(zip);
        Assert.IsInstanceOfType<EegDinoModelFormatException>(error, error?.ToString() ?? "the file was read");
        Assert.IsLessThan(allocationBound, allocated, $"{allocated >> 20} MiB allocated before refusing: {error.Message}");
        StringAssert.StartsWith(error.Message, "hostile.pt: ");
        return error.Message;
    }

    private static byte[] Archive(PickleWriter pickle) => CheckpointTestFiles.Archive(pickle.ToArray(), CheckpointTestFiles.Floats(1, 2, 3, 4));

    [TestMethod]
    public void SharedSubDictsCannotMultiplyTheStateDict()
    {
        // d0 = {'w': tensor}; d_i = {'a': d_(i-1), 'b': d_(i-1)} for i = 1..40; {'state_dict': d40}: 2^40 keys once flattened.
        var p = new PickleWriter().Op('}').Str("w").Tensor("0", 4, 0, [4], [1]).Op('s').Op('q').Raw(0).Op('0');
        for (int i = 1; i <= 40; i++)
            p.Op('}').Op('(').Str("a").Op('h').Raw((byte)(i - 1)).Str("b").Op('h').Raw((byte)(i - 1)).Op('u').Op('q').Raw((byte)i).Op('0');
        p.Op('}').Str("state_dict").Op('h').Raw(40).Op('s').Op('.');

        StringAssert.Contains(Refused(Archive(p)), $"more than {TorchCheckpointReader.MaxStateDictEntries} entries once flattened");
    }

    [TestMethod]
    public void ALongKeyReferencedAtManyLevelsIsRefusedBeforeItIsCopied()
    {
        // One 1 MiB string (memoised) as the key of 60 nested dicts with 1000 leaves: 60 GB of keys before.
        var p = new PickleWriter().Op('}').Str("state_dict");
        p.Op(0x8d).Raw(BitConverter.GetBytes((long)(1 << 20))).Raw(Enumerable.Repeat((byte)'k', 1 << 20).ToArray()).Op('q').Raw(1).Op('0');
        p.Op('}');
        for (int i = 0; i < 60; i++) p.Op('h').Raw(1).Op('}');
        p.Op('(');
        for (int i = 0; i < 1000; i++) p.Str("leaf" + i).Int(i);
        p.Op('u');
        for (int i = 0; i < 60; i++) p.Op('s');
        p.Op('s').Op('.');

        StringAssert.Contains(Refused(Archive(p)), $"is longer than {TorchCheckpointReader.MaxKeyLength} characters");
    }

    [TestMethod]
    public void ZipRecordsThatOverlapAreRefusedBeforeTheyAreRead()
    {
        // 2000 storages of 1 MiB whose directory entries all point at the same record: 4 GB read before.
        const int storages = 2000, floats = 1 << 18;
        var p = new PickleWriter().Op('}').Str("state_dict").Op('}');
        for (int i = 0; i < storages; i++) p.Str("w" + i).Tensor(i.ToString(), floats, 0, [floats], [1]).Op('s');
        p.Op('s').Op('.');
        byte[] zip = CheckpointTestFiles.WriteZip([("archive/data.pkl", p.ToArray()), ("archive/data/0", new byte[4 * floats])]);
        zip = WithDirectoryCopies(zip, "archive/data/0", storages);

        StringAssert.Contains(Refused(zip), "they overlap");
    }

    [TestMethod]
    public void ACompressedPickleOfMillionsOfValuesIsBounded()
    {
        // 9.4 million pushes of None appended to one list: 19 MB of pickle, deflated to a few KB.
        var pickle = new MemoryStream();
        pickle.Write([0x80, 2, (byte)'}']);
        pickle.Write(new PickleWriter().Str("state_dict").ToArray()[2..]);
        pickle.WriteByte((byte)'}');
        pickle.Write(new PickleWriter().Str("losses").ToArray()[2..]);
        pickle.WriteByte((byte)']');
        byte[] noneAppend = [(byte)'N', (byte)'a'];
        for (int i = 0; i < SafeUnpickler.MaxPushes + 1000; i++) pickle.Write(noneAppend);
        pickle.Write([(byte)'s', (byte)'s', (byte)'.']);
        byte[] zip = DeflatedArchive(pickle.ToArray());
        Assert.IsLessThan(1L << 20, zip.LongLength, "the file is small");

        // The pickle's own bytes (19 MB) and the values up to the bound are real work; 16x that is not.
        StringAssert.Contains(Refused(zip, 16 * pickle.Length), $"builds more than {SafeUnpickler.MaxPushes} values");
    }

    [TestMethod]
    public void OneBigListSummarisedFromManyPlacesIsBounded()
    {
        // {'state_dict': {...}, 'h0': L, 'h1': L, ... 'h59999': L} with L a list of 1,000,000 Nones: 6e10 visits before.
        var p = new PickleWriter().Op('}').Op(']').Op('(');
        for (int i = 0; i < 1_000_000; i++) p.Op('N');
        p.Op('e').Op('q').Raw(1).Op('0');
        p.Op('(').Str("state_dict").Op('}').Str("w").Tensor("0", 4, 0, [4], [1]).Op('s');
        for (int i = 0; i < 60_000; i++) p.Str("h" + i).Op('h').Raw(1);
        p.Op('u').Op('.');

        var (error, checkpoint, allocated) = Read(Archive(p));

        Assert.IsNull(error, error?.ToString());
        Assert.HasCount(60_000, checkpoint!.OtherEntries);
        StringAssert.Contains(checkpoint.OtherEntries[^1], "not fully walked");
        Assert.IsLessThan(256L << 20, allocated, $"{allocated >> 20} MiB");
    }

    [TestMethod]
    public void AZip64DirectoryDeclaringHugeCountsIsRefused()
    {
        byte[] zip = CheckpointTestFiles.Archive(PickleWriter.StateDict("w", 4, 0, [4], [1]), CheckpointTestFiles.Floats(1, 2, 3, 4));
        foreach (long count in new[] { 1L << 20, int.MaxValue, 1L << 40 })
            StringAssert.Contains(Refused(WithZip64EntryCount(zip, count)), "not a readable torch.save zip archive", $"{count} entries");
    }

    // --- zip surgery

    private static byte[] DeflatedArchive(byte[] pickle)
    {
        var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data, level) in new[] { ("archive/data.pkl", pickle, CompressionLevel.Optimal), ("archive/data/0", CheckpointTestFiles.Floats(1, 2, 3, 4), CompressionLevel.NoCompression) })
            {
                using var s = archive.CreateEntry(name, level).Open();
                s.Write(data);
            }
        }
        return output.ToArray();
    }

    /// <summary>The zip with <paramref name="count"/> - 1 more central-directory entries (<c>prefix/1</c>...) pointing at <paramref name="name"/>'s record.</summary>
    private static byte[] WithDirectoryCopies(byte[] zip, string name, int count)
    {
        int eocd = zip.Length - 22;
        int cdOffset = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(eocd + 16));
        int cdSize = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(eocd + 12));
        var entries = new List<byte[]>();
        byte[]? target = null;
        for (int at = cdOffset; at < cdOffset + cdSize;)
        {
            int length = 46 + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 30)) + BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 32));
            byte[] entry = zip[at..(at + length)];
            entries.Add(entry);
            if (Encoding.ASCII.GetString(zip, at + 46, BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + 28))) == name) target = entry;
            at += length;
        }
        Assert.IsNotNull(target);
        string prefix = name[..(name.LastIndexOf('/') + 1)];
        for (int i = 1; i < count; i++)
        {
            byte[] copyName = Encoding.ASCII.GetBytes(prefix + i);
            byte[] copy = new byte[46 + copyName.Length];
            target[..46].CopyTo(copy, 0);
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(28), (ushort)copyName.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(30), 0); // no extra field, no comment
            copyName.CopyTo(copy, 46);
            entries.Add(copy);
        }
        var output = new List<byte>(zip[..cdOffset]);
        foreach (var e in entries) output.AddRange(e);
        byte[] end = zip[eocd..];
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)entries.Count);
        BinaryPrimitives.WriteInt32LittleEndian(end.AsSpan(12), output.Count - cdOffset);
        output.AddRange(end);
        return [.. output];
    }

    /// <summary>The zip with a zip64 end record that declares <paramref name="count"/> entries.</summary>
    private static byte[] WithZip64EntryCount(byte[] zip, long count)
    {
        int eocd = zip.Length - 22;
        var output = new List<byte>(zip[..eocd]);
        var record = new byte[56];
        BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06064b50);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), 44);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(12), 45);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(14), 45);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(24), count);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(32), count);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(40), BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(eocd + 12)));
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(48), BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(eocd + 16)));
        int recordAt = output.Count;
        output.AddRange(record);
        var locator = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
        BinaryPrimitives.WriteInt64LittleEndian(locator.AsSpan(8), recordAt);
        BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
        output.AddRange(locator);
        byte[] end = zip[eocd..];
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), 0xFFFF);
        output.AddRange(end);
        return [.. output];
    }
}

using System.Text;
using EegDino.ML.Weights.Torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>Malicious and broken checkpoints are refused with a clear exception and run nothing.</summary>
[TestClass]
public sealed class TorchCheckpointSafetyTests
{
    private static EegDinoModelFormatException Refused(byte[] zip) =>
        Assert.ThrowsExactly<EegDinoModelFormatException>(() => TorchCheckpointReader.Read(new MemoryStream(zip), "bad.pt"));

    private static byte[] WithStateDict(PickleWriter body) =>
        CheckpointTestFiles.Archive(body.ToArray(), CheckpointTestFiles.Floats(1, 2, 3, 4));

    [TestMethod]
    public void OsSystemIsRefusedAndNotRun()
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => TorchCheckpointReader.Read(CheckpointTestFiles.Checkpoint("os_system.pt")));
        StringAssert.Contains(e.Message, "posix.system");
        StringAssert.Contains(e.Message, "refused");
        StringAssert.Contains(e.Message, "os_system.pt");
    }

    [TestMethod]
    public void ReduceOnANonAllowedCallableIsRefused()
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => TorchCheckpointReader.Read(CheckpointTestFiles.Checkpoint("reduce_counter.pt")));
        StringAssert.Contains(e.Message, "REDUCE would call collections.Counter");
    }

    [TestMethod]
    public void BuiltinsEvalIsRefusedOnSight()
    {
        var p = new PickleWriter().Global("builtins", "eval").Str("1+1").Op(0x85).Op('R').Op('.');
        StringAssert.Contains(Refused(WithStateDict(p)).Message, "builtins.eval");
    }

    [TestMethod]
    public void NewObjOfAnUnknownClassIsAnInertPlaceholder()
    {
        // {'state_dict': {}, 'cfg': some.module.Config.__new__(Config) with state {'a': 1}}
        var p = new PickleWriter().Op('}').Str("state_dict").Op('}').Op('s')
            .Str("cfg").Global("some.module", "Config").Op(')').Op(0x81).Op('}').Str("a").Int(1).Op('s').Op('b').Op('s').Op('.');
        var c = TorchCheckpointReader.Read(new MemoryStream(WithStateDict(p)), "ok.pt");
        StringAssert.Contains(c.OtherEntries.Single(), "some.module.Config object");
    }

    [TestMethod]
    public void TruncatedZipIsRefused()
    {
        byte[] whole = File.ReadAllBytes(CheckpointTestFiles.Fixture("tiny.checkpoint.pt"));
        foreach (int length in new[] { 0, 3, 100, whole.Length / 2, whole.Length - 30, whole.Length - 1 })
        {
            var e = Refused(whole[..length]);
            StringAssert.Contains(e.Message, "bad.pt", $"length {length}");
        }
    }

    [TestMethod]
    public void StorageShorterThanTheTensorNeedsIsRefused()
    {
        // The pickle declares 4 floats; the record holds 3.
        byte[] zip = CheckpointTestFiles.Archive(PickleWriter.StateDict("w", 4, 0, [2, 2], [2, 1]), CheckpointTestFiles.Floats(1, 2, 3));
        StringAssert.Contains(Refused(zip).Message, "declares 4 F32 elements (16 bytes) but its record 'archive/data/0' holds 12 bytes");
    }

    [TestMethod]
    public void ViewReachingPastTheStorageIsRefused()
    {
        byte[] zip = CheckpointTestFiles.Archive(PickleWriter.StateDict("w", 4, 1, [2, 2], [2, 1]), CheckpointTestFiles.Floats(1, 2, 3, 4));
        StringAssert.Contains(Refused(zip).Message, "reaches element 4 of a storage of 4 elements");
    }

    [TestMethod]
    public void HugeDeclaredSizeIsRefusedWithoutAllocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        const long huge = 1L << 40; // 4 TiB of float32
        byte[] zip = CheckpointTestFiles.Archive(PickleWriter.StateDict("w", huge, 0, [1L << 20, 1L << 20], [1L << 20, 1]), CheckpointTestFiles.Floats(1, 2, 3, 4));
        StringAssert.Contains(Refused(zip).Message, $"declares {huge} F32 elements");
        Assert.IsLessThan(16L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void HugeStrideZeroViewIsRefusedWithoutAllocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] zip = CheckpointTestFiles.Archive(PickleWriter.StateDict("w", 1, 0, [1L << 30], [0]), CheckpointTestFiles.Floats(1));
        StringAssert.Contains(Refused(zip).Message, "exceed twice the stored data");
        Assert.IsLessThan(16L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    public void HugeStringLengthIsRefusedWithoutAllocating()
    {
        var p = new PickleWriter().Op(0x8d).Raw(BitConverter.GetBytes(long.MaxValue)).Op('.');
        StringAssert.Contains(Refused(WithStateDict(p)).Message, "runs past the end of the pickle");
    }

    [TestMethod]
    public void DeepMarkNestingIsBounded()
    {
        var p = new PickleWriter();
        for (int i = 0; i < SafeUnpickler.MaxMarkDepth + 1; i++) p.Op('(');
        StringAssert.Contains(Refused(WithStateDict(p)).Message, "nested MARKs");
    }

    [TestMethod]
    public void DeepDictNestingIsBounded()
    {
        // {'state_dict': {'a': {'a': {... 100 levels ...}}}}
        var p = new PickleWriter().Op('}').Str("state_dict");
        for (int i = 0; i < 100; i++) p.Op('}').Str("a");
        p.Op('}');
        for (int i = 0; i < 100; i++) p.Op('s');
        p.Op('s').Op('.');
        StringAssert.Contains(Refused(WithStateDict(p)).Message, "nests deeper than 64");
    }

    [TestMethod]
    public void SelfContainingStateDictIsRefused()
    {
        // d = {}; d['x'] = d; {'state_dict': d}
        var p = new PickleWriter().Op('}').Str("state_dict").Op('}').Op('q').Raw(1).Str("x").Op('h').Raw(1).Op('s').Op('s').Op('.');
        StringAssert.Contains(Refused(WithStateDict(p)).Message, "contains itself");
    }

    [TestMethod]
    public void UnknownMemoAndUnknownOpcodesAreRefused()
    {
        StringAssert.Contains(Refused(WithStateDict(new PickleWriter().Op('h').Raw(9).Op('.'))).Message, "memo entry 9 was never stored");
        StringAssert.Contains(Refused(WithStateDict(new PickleWriter().Op(0xff))).Message, "unknown opcode 0xff");
        StringAssert.Contains(Refused(WithStateDict(new PickleWriter().Op('i'))).Message, "INST/OBJ");
        StringAssert.Contains(Refused(WithStateDict(new PickleWriter().Op('}'))).Message, "without a STOP");
    }

    [TestMethod]
    public void BigEndianTorchScriptAndMissingPickleAreRefused()
    {
        byte[] pickle = PickleWriter.StateDict("w", 4, 0, [4], [1]);
        byte[] bigEndian = CheckpointTestFiles.WriteZip([("a/data.pkl", pickle), ("a/data/0", CheckpointTestFiles.Floats(1, 2, 3, 4)), ("a/byteorder", Encoding.ASCII.GetBytes("big"))]);
        StringAssert.Contains(Refused(bigEndian).Message, "only little-endian");
        byte[] script = CheckpointTestFiles.WriteZip([("a/constants.pkl", pickle), ("a/code/x.py", [])]);
        StringAssert.Contains(Refused(script).Message, "TorchScript");
        byte[] storageMissing = CheckpointTestFiles.WriteZip([("a/data.pkl", pickle)]);
        StringAssert.Contains(Refused(storageMissing).Message, "has no record 'a/data/0'");
    }

    [TestMethod]
    public void LittleEndianByteOrderRecordIsAccepted()
    {
        byte[] pickle = PickleWriter.StateDict("w", 4, 0, [4], [1]);
        byte[] zip = CheckpointTestFiles.WriteZip([("a/data.pkl", pickle), ("a/data/0", CheckpointTestFiles.Floats(1, 2, 3, 4)), ("a/byteorder", Encoding.ASCII.GetBytes("little"))]);
        var c = TorchCheckpointReader.Read(new MemoryStream(zip), "ok.pt");
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4 }, c.Tensors["w"].Data);
    }
}

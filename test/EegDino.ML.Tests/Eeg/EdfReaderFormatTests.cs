using System.Text;
using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg;

/// <summary>Header validation, units, EDF+D gaps and robustness against corrupted files.</summary>
[TestClass]
public sealed class EdfReaderFormatTests
{
    private static byte[] Small(string reserved = "EDF+C", double[]? onsets = null) => EdfTestWriter.Write(
        [
            new TestSignal("EEG Fp1-REF", "uV", -3276.8, 3276.7, -32768, 32767, 4, i => (int)(i * 37 % 2000 - 1000)),
            new TestSignal("ECG", "mV", -10, 10, -2048, 2047, 2, i => (int)(i % 2 == 0 ? 2047 : -2048)),
        ],
        records: 5, recordSeconds: 1, reserved: reserved, recordOnsets: onsets,
        annotations: [(0.5, 2.0, "T0"), (3.25, 0, "Eyes closed é")]);

    private static EdfReader Read(byte[] bytes) => new(new MemoryStream(bytes), false, "test.edf");

    private static void Patch(byte[] bytes, int offset, string text) => Encoding.ASCII.GetBytes(text).CopyTo(bytes, offset);

    private static EdfFormatException Fails(byte[] bytes)
    {
        var e = Assert.ThrowsExactly<EdfFormatException>(() => { using EdfReader r = Read(bytes); _ = r.Annotations; });
        Console.WriteLine(e.Message);
        return e;
    }

    [TestMethod]
    public void ReadsHeaderSignalsUnitsAndAnnotations()
    {
        using EdfReader r = Read(Small());
        Assert.AreEqual(EdfFileType.EdfPlusContinuous, r.Header.FileType);
        Assert.AreEqual(new DateTime(2020, 2, 1, 13, 14, 15), r.Header.StartDateTime);
        Assert.AreEqual(5, r.Header.NumberOfRecords);
        Assert.HasCount(3, r.Signals);
        Assert.IsTrue(r.Signals[2].IsAnnotation);
        Assert.AreEqual(4.0, r.Signals[0].SamplesPerSecond);
        Assert.AreEqual(2.0, r.Signals[1].SamplesPerSecond);
        Assert.AreEqual(1000.0, r.Signals[1].MicrovoltsPerUnit);
        float[] ecg = r.ReadMicrovolts([1], 0, 4)[0];
        Assert.AreEqual(10_000f, ecg[0], 1e-3f);
        Assert.AreEqual(-10_000f, ecg[1], 1e-3f);
        Assert.AreEqual(10f, r.ReadPhysical(1, 0, 1)[0], 1e-6f);
        Assert.HasCount(2, r.Annotations);
        Assert.AreEqual(new EdfAnnotation(0.5, 2.0, "T0"), r.Annotations[0]);
        Assert.AreEqual(new EdfAnnotation(3.25, 0, "Eyes closed é"), r.Annotations[1]);
        CollectionAssert.AreEqual(new[] { 0.0, 1, 2, 3, 4 }, r.RecordOnsetsSeconds.ToArray());
        Assert.AreEqual(5.0, r.DurationSeconds);
    }

    [TestMethod]
    [DataRow("uV", 1.0)]
    [DataRow("mV", 1e3)]
    [DataRow("V", 1e6)]
    [DataRow("nV", 1e-3)]
    public void UnitsAreNormalisedToMicrovolts(string unit, double factor)
    {
        byte[] bytes = EdfTestWriter.Write([new TestSignal("Cz", unit, -100, 100, -1000, 1000, 10, i => 500)], 1, reserved: "");
        using EdfReader r = Read(bytes);
        Assert.AreEqual(EdfFileType.Edf, r.Header.FileType);
        Assert.AreEqual(50 * factor, r.ReadMicrovolts([0], 0, 1)[0][0], 1e-6 * 50 * factor);
    }

    [TestMethod]
    public void NonVoltageUnitCannotBeReadInMicrovolts()
    {
        byte[] bytes = EdfTestWriter.Write([new TestSignal("Resp", "Ohm", -100, 100, -1000, 1000, 10, i => 500)], 1, reserved: "");
        using EdfReader r = Read(bytes);
        Assert.IsNull(r.Signals[0].MicrovoltsPerUnit);
        var e = Assert.ThrowsExactly<EdfFormatException>(() => r.ReadMicrovolts([0], 0, 1));
        StringAssert.Contains(e.Message, "Ohm");
    }

    [TestMethod]
    public void DiscontinuousFileReportsGapsWithoutFillingThem()
    {
        using EdfReader r = Read(Small("EDF+D", [0, 1, 2, 5, 6]));
        Assert.IsTrue(r.Header.IsDiscontinuous);
        Assert.HasCount(1, r.Gaps);
        Assert.AreEqual(new EdfGap(2, 3.0, 2.0), r.Gaps[0]);
        Assert.AreEqual(20, r.SampleCount(0)); // stored samples only
        Assert.AreEqual(5.25, r.TimeOfSample(0, 13), 1e-12);
        Assert.AreEqual(7.0, r.DurationSeconds);
    }

    [TestMethod]
    public void GapInContinuousFileIsAnError()
    {
        StringAssert.Contains(Fails(Small("EDF+C", [0, 1, 2, 5, 6])).Message, "EDF+D");
    }

    [TestMethod]
    public void TruncatedFileNamesRecordCount()
    {
        byte[] b = Small();
        var e = Fails(b[..^7]);
        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "number of data records");
        StringAssert.Contains(Fails(b[..300]).Message, "truncated");
        StringAssert.Contains(Fails(b[..100]).Message, "truncated");
    }

    [TestMethod]
    public void WrongRecordCountIsReported()
    {
        byte[] b = Small();
        Patch(b, 236, "4       ");
        var e = Fails(b);
        StringAssert.Contains(e.Message, "'number of data records' is '4'");
    }

    [TestMethod]
    public void BadNumberNamesFieldSignalAndValue()
    {
        byte[] b = Small();
        int physMinOffset = 256 + 3 * (16 + 80 + 8);
        Patch(b, physMinOffset, "-3x76.8 ");
        var e = Fails(b);
        StringAssert.Contains(e.Message, "'physical minimum' of signal 1 ('EEG Fp1-REF') is '-3x76.8'");
    }

    [TestMethod]
    public void SignalCountMismatchIsReported()
    {
        byte[] b = Small();
        Patch(b, 252, "4   ");
        StringAssert.Contains(Fails(b).Message, "number of bytes in header record");
    }

    [TestMethod]
    public void NonAsciiHeaderByteIsReported()
    {
        byte[] b = Small();
        b[256 + 2] = 0xC3;
        var e = Fails(b);
        StringAssert.Contains(e.Message, "label of signal 1");
        StringAssert.Contains(e.Message, "0xC3");
    }

    [TestMethod]
    public void BadVersionAndDigitalRangeAreReported()
    {
        byte[] b = Small();
        Patch(b, 0, "1");
        StringAssert.Contains(Fails(b).Message, "'version' is '1'");
        b = Small();
        int digMax = 256 + 3 * (16 + 80 + 8 + 8 + 8 + 8);
        Patch(b, digMax, "-40000  ");
        StringAssert.Contains(Fails(b).Message, "'digital maximum' of signal 1");
    }

    [TestMethod]
    public void MalformedAnnotationIsReported()
    {
        byte[] b = Small();
        int at = Encoding.Latin1.GetString(b).IndexOf("+0.5", StringComparison.Ordinal);
        Patch(b, at, "+0,5");
        StringAssert.Contains(Fails(b).Message, "annotation onset is '+0,5'");
    }

    /// <summary>Random corruption of a valid file: an EdfFormatException or a successful full read, never a crash or hang.</summary>
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public void RandomCorruptionNeverCrashesOrHangs()
    {
        byte[] valid = Small();
        var rng = new Random(20240601);
        int ok = 0, rejected = 0;
        for (int iter = 0; iter < 3000; iter++)
        {
            byte[] b = (byte[])valid.Clone();
            int kind = rng.Next(4);
            if (kind == 0) b = b[..rng.Next(b.Length)];
            int flips = 1 + rng.Next(8);
            for (int k = 0; k < flips && b.Length > 0; k++)
            {
                int pos = kind == 1 ? rng.Next(Math.Min(b.Length, 256 + 3 * 256)) : rng.Next(b.Length);
                b[pos] = kind == 2 ? (byte)"0123456789+-. \x14\x15\0"[rng.Next(17)] : (byte)rng.Next(256);
            }
            try
            {
                using EdfReader r = Read(b);
                _ = r.Annotations;
                _ = r.Gaps;
                foreach (EdfSignal s in r.Signals.Where(s => !s.IsAnnotation))
                {
                    float[] v = r.ReadPhysical(s.Index, 0, (int)r.SampleCount(s.Index));
                    Assert.HasCount((int)r.SampleCount(s.Index), v);
                }
                ok++;
            }
            catch (EdfFormatException)
            {
                rejected++;
            }
        }
        Console.WriteLine($"fuzz: {ok} read, {rejected} rejected with EdfFormatException");
        Assert.IsGreaterThan(100, rejected);
        Assert.IsGreaterThan(100, ok);
    }
}

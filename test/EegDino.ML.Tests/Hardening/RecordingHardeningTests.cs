using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using EegDino.ML.Tests.Eeg;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Hardening;

/// <summary>
/// Hostile recordings and settings on the way from EDF to model input: ranges that overflow float32,
/// impossible record durations, folders posing as files, windows of no sample or longer than every
/// recording, outputs that would overwrite inputs, two runs on one output.
/// </summary>
[TestClass]
public sealed class RecordingHardeningTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "eegdino-hostile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] OneChannel(double physMin, double physMax, double recordSeconds = 1) => EdfTestWriter.Write(
        [new TestSignal("EEG Fp1-REF", "uV", physMin, physMax, -32768, 32767, 200, i => (int)(1000 * Math.Sin(i / 10.0)))], records: 4, recordSeconds);

    [TestMethod]
    [DataRow(-3e38, 3e38, "physical minimum")]
    [DataRow(1e308, 100, "physical minimum")]
    [DataRow(-100, 1e20, "physical maximum")]
    public void PhysicalRangesThatOverflowAreRefusedNamingTheField(double physMin, double physMax, string field)
    {
        string path = Write("range.edf", OneChannel(physMin, physMax));
        using var reader = EdfReader.Open(path);
        var e = Assert.ThrowsExactly<EdfFormatException>(() => reader.ReadMicrovolts([0], 0L, 100));
        StringAssert.Contains(e.Message, $"field '{field}' of signal 1 ('EEG Fp1-REF')");
        StringAssert.Contains(e.Message, "range.edf");
        Assert.ThrowsExactly<EdfFormatException>(() => reader.ReadPhysical(0, 0, 100));
    }

    [TestMethod]
    public void ARecordDurationOfZeroWithSamplesIsRefusedNamingTheFileAndField()
    {
        string path = Write("zero.edf", OneChannel(-3276.8, 3276.7, recordSeconds: 0));
        var e = Assert.ThrowsExactly<EdfFormatException>(() => EdfReader.Open(path));
        StringAssert.Contains(e.Message, "zero.edf");
        StringAssert.Contains(e.Message, "duration of a data record");
        StringAssert.Contains(e.Message, "'EEG Fp1-REF'");
    }

    [TestMethod]
    public void AFolderNamedLikeARecordingIsNamedAsAFolder()
    {
        string path = Path.Combine(_folder, "x.edf");
        Directory.CreateDirectory(path);
        var e = Assert.ThrowsExactly<EdfFormatException>(() => EdfReader.Open(path));
        StringAssert.Contains(e.Message, "is a directory, not an EDF/BDF file");
    }

    [TestMethod]
    [DataRow(0.001, "which is 0 samples at 200 Hz; at least one sample")]
    [DataRow(1e9, "at most 16777216 samples")]
    public void WindowsOfNoSampleOrAbsurdLengthAreRefused(double seconds, string expected)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EegWindower(new EegWindowOptions { WindowSeconds = seconds, StrideSeconds = 1 }));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void TheLoaderSaysWhenNoWindowFitsAnyRecording()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEegRecordings([EdfTestWriter.TestData("S001R01.edf"), EdfTestWriter.TestData("S001R02.edf")], windowSeconds: 100);
        var e = Assert.ThrowsExactly<ArgumentException>(() => data.GetColumn<string>(EegDataColumns.Recording).ToArray());
        StringAssert.Contains(e.Message, "No window fits: every recording is shorter than one 100-s window");
        StringAssert.Contains(e.Message, "S001R01.edf");
    }

    private static EegDinoEncoder Tiny() => EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });

    private static EegEmbeddingJob Job(EegDinoEncoder encoder, string output, double windowSeconds = 2) =>
        new(encoder, new EmbeddingJobOptions { Windows = new EegWindowOptions { WindowSeconds = windowSeconds, StrideSeconds = windowSeconds }, ModelIdentity = "tiny" },
            output, (path, dim) => new CsvEmbeddingWriter(path, dim));

    [TestMethod]
    public void TheJobRefusesAnOutputThatIsAnInputEvenThroughALink()
    {
        string recording = Path.Combine(_folder, "S001R01.edf");
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), recording);
        byte[] before = File.ReadAllBytes(recording);
        string link = Path.Combine(_folder, "link.csv");
        File.CreateSymbolicLink(link, recording);
        string linkedFolder = Path.Combine(_folder, "linked");
        Directory.CreateSymbolicLink(linkedFolder, _folder);
        using var encoder = Tiny();
        var inputs = EegEmbeddingJob.FindRecordings([recording]);
        foreach (string output in new[] { recording, link, Path.Combine(linkedFolder, "S001R01.edf") })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => Job(encoder, output).Run(inputs), output);
            StringAssert.Contains(e.Message, "would overwrite the input recording");
        }
        // The job's temporary file (OUT.tmp) is checked too.
        string named = Path.Combine(_folder, "out.csv.tmp");
        File.Copy(recording, named);
        var tmp = Assert.ThrowsExactly<ArgumentException>(() => Job(encoder, Path.Combine(_folder, "out.csv")).Run(EegEmbeddingJob.FindRecordings([named])));
        StringAssert.Contains(tmp.Message, "would overwrite the input recording");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(recording), "the recording is untouched");
        Assert.IsFalse(File.Exists(recording + ".progress.jsonl"), "nothing was written");
    }

    [TestMethod]
    public void ASecondRunOnTheSameOutputIsRefusedWhileTheFirstHoldsIt()
    {
        string recording = Path.Combine(_folder, "S001R01.edf");
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), recording);
        string output = Path.Combine(_folder, "out.csv");
        using var encoder = Tiny();
        var inputs = EegEmbeddingJob.FindRecordings([recording]);
        IOException? second = null;
        var first = new EegEmbeddingJob(encoder, new EmbeddingJobOptions { Windows = new EegWindowOptions { WindowSeconds = 2, StrideSeconds = 2 }, ModelIdentity = "tiny" },
            output, (path, dim) => new CsvEmbeddingWriter(path, dim))
        {
            // While the first run is embedding, a second run on the same output starts.
            BatchEncoded = _ => second ??= Assert.ThrowsExactly<IOException>(() => Job(encoder, output).Run(inputs)),
        };
        var result = first.Run(inputs);
        Assert.IsNotNull(second);
        StringAssert.Contains(second.Message, "Another embedding run is writing to");
        Assert.AreEqual(30L, result.RowsWritten);
        Assert.AreEqual(31, File.ReadAllLines(output).Length, "the first run's table is whole");
        Assert.IsFalse(File.Exists(output + ".lock"), "the lock file goes with the run");
        Assert.AreEqual(30L, Job(encoder, output).Run(inputs).RowsWritten, "a later run takes the output again");
    }

    [TestMethod]
    public void ARecordingShorterThanOneWindowIsAFailureWithItsReason()
    {
        string recording = Path.Combine(_folder, "S001R01.edf");
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), recording);
        using var encoder = Tiny();
        var result = Job(encoder, Path.Combine(_folder, "out.csv"), windowSeconds: 100).Run(EegEmbeddingJob.FindRecordings([recording]));
        var failure = result.Failures.Single();
        StringAssert.Contains(failure.Error, "S001R01.edf is 61 s long, shorter than one 100-s window: no window fits");
        Assert.AreEqual(0L, result.RowsWritten);
    }
}

using EegDino.ML.Corpus;
using System.Globalization;
using EegDino.ML.Eeg;
using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.Corpus;

/// <summary>
/// The resumable corpus embedding job behind <c>eegdino embed</c>: rows equal the bare encoder's,
/// resume skips finished recordings, bad files are skipped and reported. Tiny fixture model, 2 s windows.
/// </summary>
[TestClass]
public sealed class EmbeddingJobTests
{
    private static EegDinoEncoder? _encoder;
    private string _folder = "";

    private static EegDinoEncoder Encoder => _encoder ??= TinyEncoder.Load();

    [ClassCleanup]
    public static void DisposeEncoder() => _encoder?.Dispose();

    [TestInitialize]
    public void CreateCorpus()
    {
        _folder = TempFolder.Create("embed").Path;
        Directory.CreateDirectory(Path.Combine(_folder, "corpus", "sub"));
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), Path.Combine(_folder, "corpus", "S001R01.edf"));
        File.Copy(EdfTestWriter.TestData("S001R02.edf"), Path.Combine(_folder, "corpus", "sub", "S001R02.edf"));
    }

    [TestCleanup]
    public void DeleteCorpus()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private string Corpus => Path.Combine(_folder, "corpus");

    private static EmbeddingJobOptions Options(bool keepParts = false) => new()
    {
        Windows = new EegWindowOptions { WindowSeconds = 2, StrideSeconds = 2 },
        BatchSize = 7, // batches span recording boundaries (30 windows per recording)
        KeepParts = keepParts,
        ModelIdentity = "tiny",
    };

    private static EegEmbeddingJob Job(string output, EmbeddingJobOptions options, Action<RecordingOutcome>? finished = null) =>
        new(Encoder, options, output, (path, dim) => new CsvEmbeddingWriter(path, dim)) { RecordingFinished = finished };

    private static List<string[]> ReadCsv(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToList(); // no quoted fields in these files

    [TestMethod]
    public void RowsEqualEncodeBatchOfTheSameWindows()
    {
        string output = Path.Combine(_folder, "out.csv");
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        CollectionAssert.AreEqual(new[] { "S001R01.edf", "sub/S001R02.edf" }, inputs.Select(i => i.Name).ToArray());

        EmbeddingJobResult result = Job(output, Options()).Run(inputs);
        Assert.IsTrue(result.Assembled);
        Assert.AreEqual(60, result.WindowsEncoded);
        Assert.AreEqual(60, result.RowsWritten);
        Assert.AreEqual(120, result.EegSecondsEncoded, 1e-9);
        Assert.IsFalse(Directory.Exists(output + ".parts"), "parts are deleted after a complete run without failures");

        string[] header = File.ReadLines(output).First().Split(',');
        CollectionAssert.AreEqual(EmbeddingTableLayout.FixedColumns, header.Take(7).ToArray());
        Assert.AreEqual(7 + Encoder.EmbeddingDim, header.Length);
        Assert.AreEqual("emb_0", header[7]);

        var rows = ReadCsv(output);
        Assert.HasCount(60, rows);
        var windower = new EegWindower(Options().Windows);
        int row = 0;
        foreach (var input in inputs)
        {
            using EdfReader reader = EdfReader.Open(input.Path);
            var windows = windower.GetWindows(reader, new MontageMapper().Map(reader.Signals)).ToList();
            int size = windows[0].Signal.Length;
            var buffer = new float[windows.Count * size];
            for (int i = 0; i < windows.Count; i++) windows[i].Signal.CopyTo(buffer, i * size);
            EegDinoEncoding expected = Encoder.EncodeBatch(buffer, windows.Count, 19);
            for (int i = 0; i < windows.Count; i++, row++)
            {
                string[] r = rows[row];
                Assert.AreEqual(input.Name, r[0]);
                Assert.AreEqual(windows[i].StartSeconds, double.Parse(r[1], CultureInfo.InvariantCulture), 1e-12);
                Assert.AreEqual("T0", r[2], "eegmmidb baseline runs carry one T0 annotation over the whole run");
                Assert.AreEqual("false", r[3]);
                ReadOnlySpan<float> e = expected.GetPooledMean(i);
                for (int d = 0; d < e.Length; d++)
                {
                    float actual = float.Parse(r[7 + d], CultureInfo.InvariantCulture);
                    // Different batch composition (7 across recordings vs 30) may change the last bits of the matmuls.
                    Assert.AreEqual(e[d], actual, 1e-5f * Math.Max(1f, Math.Abs(e[d])), $"row {row}, emb_{d}");
                }
            }
        }
    }

    [TestMethod]
    public void ResumeSkipsFinishedRecordingsAndGivesTheSameTable()
    {
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        string reference = Path.Combine(_folder, "reference.csv");
        Job(reference, Options()).Run(inputs);

        // Interrupt right after the first recording is finished.
        string output = Path.Combine(_folder, "out.csv");
        using var cts = new CancellationTokenSource();
        EmbeddingJobResult first = Job(output, Options(), o => cts.Cancel()).Run(inputs, cts.Token);
        Assert.IsFalse(first.Assembled);
        Assert.IsFalse(File.Exists(output));
        Assert.HasCount(1, first.Recordings);
        Assert.AreEqual(RecordingStatus.Embedded, first.Recordings[0].Status);
        Assert.AreEqual("S001R01.edf", first.Recordings[0].Input.Name);
        Assert.AreEqual(1, File.ReadLines(output + ".progress.jsonl").Count(l => l.Contains("\"kind\":\"done\"", StringComparison.Ordinal)));

        // A crash while appending leaves a torn last line: it is ignored.
        File.AppendAllText(output + ".progress.jsonl", "{\"kind\":\"done\",\"path\":\"/x");

        var encodedPerBatch = new List<int>();
        var job = new EegEmbeddingJob(Encoder, Options(), output, (path, dim) => new CsvEmbeddingWriter(path, dim)) { BatchEncoded = encodedPerBatch.Add };
        EmbeddingJobResult second = job.Run(inputs);
        Assert.IsTrue(second.Assembled);
        Assert.AreEqual(RecordingStatus.Resumed, second.Recordings.Single(r => r.Input.Name == "S001R01.edf").Status);
        Assert.AreEqual(RecordingStatus.Embedded, second.Recordings.Single(r => r.Input.Name == "sub/S001R02.edf").Status);
        Assert.AreEqual(30, second.WindowsEncoded, "only the unfinished recording is encoded");
        Assert.AreEqual(30, encodedPerBatch.Sum());
        Assert.AreEqual(60, second.RowsWritten);
        CollectionAssert.AreEqual(File.ReadAllLines(reference), File.ReadAllLines(output));

        // A third run has nothing to do.
        EmbeddingJobResult third = Job(output, Options()).Run(inputs);
        Assert.IsTrue(third.AlreadyComplete);
        Assert.AreEqual(0, third.WindowsEncoded);
    }

    [TestMethod]
    public void OtherSettingsAreRefusedOnResume()
    {
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        string output = Path.Combine(_folder, "out.csv");
        Job(output, Options()).Run(inputs);
        var other = new EmbeddingJobOptions { Windows = new EegWindowOptions { WindowSeconds = 4, StrideSeconds = 4 }, ModelIdentity = "tiny" };
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Job(output, other).Run(inputs));
        StringAssert.Contains(e.Message, "other settings");
    }

    [TestMethod]
    public void CorruptFilesAreSkippedReportedAndRetried()
    {
        string truncated = Path.Combine(Corpus, "truncated.edf");
        File.WriteAllBytes(truncated, File.ReadAllBytes(EdfTestWriter.TestData("S001R01.edf")).AsSpan(0, 5000).ToArray());
        string garbage = Path.Combine(Corpus, "sub", "garbage.bdf");
        File.WriteAllText(garbage, "this is not an EDF file at all, just text that is long enough to hold a header? no.");
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        Assert.HasCount(4, inputs);

        string output = Path.Combine(_folder, "out.csv");
        var reported = new List<RecordingOutcome>();
        EmbeddingJobResult result = Job(output, Options(), reported.Add).Run(inputs);

        Assert.IsTrue(result.Assembled);
        var failures = result.Failures.OrderBy(f => f.Input.Name, StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(new[] { "sub/garbage.bdf", "truncated.edf" }, failures.Select(f => f.Input.Name).ToArray());
        StringAssert.Contains(failures[1].Error, "EdfFormatException");
        StringAssert.Contains(failures[1].Error, "truncated.edf");
        Assert.AreEqual(2, reported.Count(r => r.Status == RecordingStatus.Failed), "each failure is reported as it happens");
        Assert.AreEqual(60, result.RowsWritten, "the good recordings are all in the table");
        CollectionAssert.AreEquivalent(new[] { "S001R01.edf", "sub/S001R02.edf" }, ReadCsv(output).Select(r => r[0]).Distinct().ToArray());
        string[] log = File.ReadAllLines(output + ".progress.jsonl");
        Assert.AreEqual(2, log.Count(l => l.Contains("\"kind\":\"failed\"", StringComparison.Ordinal)));
        Assert.IsTrue(Directory.Exists(output + ".parts"), "parts are kept while failures remain, so a re-run only retries those");

        // Fix one file: the next run retries the failed ones only.
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), truncated, overwrite: true);
        EmbeddingJobResult again = Job(output, Options()).Run(inputs);
        Assert.AreEqual(30, again.WindowsEncoded);
        Assert.AreEqual(RecordingStatus.Embedded, again.Recordings.Single(r => r.Input.Name == "truncated.edf").Status);
        Assert.AreEqual(RecordingStatus.Failed, again.Recordings.Single(r => r.Input.Name == "sub/garbage.bdf").Status);
        Assert.AreEqual(90, again.RowsWritten);
    }

    [TestMethod]
    public void ChangedRecordingIsEmbeddedAgain()
    {
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        string output = Path.Combine(_folder, "out.csv");
        Job(output, Options(keepParts: true)).Run(inputs);
        Assert.IsTrue(Directory.Exists(output + ".parts"));
        File.SetLastWriteTimeUtc(inputs[1].Path, DateTime.UtcNow.AddMinutes(1));
        EmbeddingJobResult again = Job(output, Options(keepParts: true)).Run(inputs);
        Assert.IsFalse(again.AlreadyComplete);
        Assert.AreEqual(RecordingStatus.Resumed, again.Recordings.Single(r => r.Input.Name == "S001R01.edf").Status);
        Assert.AreEqual(RecordingStatus.Embedded, again.Recordings.Single(r => r.Input.Name == "sub/S001R02.edf").Status);
        Assert.AreEqual(30, again.WindowsEncoded);
        Assert.AreEqual(60, again.RowsWritten);
    }

    [TestMethod]
    public void MissingInputIsAnError()
    {
        Assert.ThrowsExactly<FileNotFoundException>(() => EegEmbeddingJob.FindRecordings([Path.Combine(_folder, "nothing-here")]));
    }

    [TestMethod]
    public void FixedWindowLabelIsTheMostOverlappingAnnotation()
    {
        EdfAnnotation[] annotations = [new(0, 4.2, "T0"), new(4.2, 4.1, "T2"), new(8.3, 4.2, "T0"), new(20, 0, "marker")];
        Assert.AreEqual("T0", WindowLabels.Overlapping(annotations, 0, 4));
        Assert.AreEqual("T2", WindowLabels.Overlapping(annotations, 4, 4));
        Assert.AreEqual("T0", WindowLabels.Overlapping(annotations, 7, 4), "1.3 s of T2 against 2.7 s of T0");
        Assert.AreEqual("marker", WindowLabels.Overlapping(annotations, 18, 4), "a zero-duration annotation inside the window");
        Assert.AreEqual("", WindowLabels.Overlapping(annotations, 30, 4));
    }

    [TestMethod]
    public void CsvQuotesTextFields()
    {
        string path = Path.Combine(_folder, "q.csv");
        using (var w = new CsvEmbeddingWriter(path, 2))
            w.WriteRows([new EmbeddingRow("a,b.edf", 1.5, "say \"hi\"", false, "", "O1 O2", [0.1f, -2f])]);
        string[] lines = File.ReadAllLines(path);
        Assert.AreEqual("recording,start_seconds,label,flagged,crosses_gap,flat_channels,saturated_channels,emb_0,emb_1", lines[0]);
        Assert.AreEqual("\"a,b.edf\",1.5,\"say \"\"hi\"\"\",true,false,,O1 O2,0.1,-2", lines[1]);
    }
}

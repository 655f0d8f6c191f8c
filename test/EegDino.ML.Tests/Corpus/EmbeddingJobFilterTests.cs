using System.Globalization;
using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.Corpus;

/// <summary>
/// The corpus job (<c>eegdino embed</c>) reads through the same filtered windows as the loader, and
/// its settings fingerprint holds the filters: a run with other filters cannot resume into the same
/// output, while logs of runs without filters stay valid.
/// </summary>
[TestClass]
public sealed class EmbeddingJobFilterTests
{
    private static EegDinoEncoder? _encoder;
    private string _folder = "";

    private static EegDinoEncoder Encoder => _encoder ??= EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });

    private static readonly EegFilterOptions Filters = new() { Reference = EegReference.MontageAverage, LowFrequencyHz = 1, HighFrequencyHz = 40, NotchFrequenciesHz = [60] };

    [ClassCleanup]
    public static void DisposeEncoder() => _encoder?.Dispose();

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "eegdino-filter-job-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), Path.Combine(_folder, "S001R01.edf"));
    }

    [TestCleanup]
    public void DeleteFolder()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static EmbeddingJobOptions Options(EegFilterOptions filters) => new()
    {
        Windows = new EegWindowOptions { WindowSeconds = 4, StrideSeconds = 4 },
        Filters = filters,
        BatchSize = 5,
        ModelIdentity = "tiny",
    };

    private static EegEmbeddingJob Job(string output, EmbeddingJobOptions options) =>
        new(Encoder, options, output, (path, dim) => new CsvEmbeddingWriter(path, dim));

    [TestMethod]
    public void RowsAreTheEncoderOnTheFilteredWindows()
    {
        var inputs = EegEmbeddingJob.FindRecordings([_folder]);
        string output = Path.Combine(_folder, "out.csv");
        EmbeddingJobResult result = Job(output, Options(Filters)).Run(inputs);
        Assert.AreEqual(15, result.RowsWritten);

        using EdfReader reader = EdfReader.Open(inputs[0].Path);
        var windows = new EegWindower(Options(Filters).Windows).GetWindows(reader, new MontageMapper().Map(reader.Signals), Filters).ToList();
        var unfiltered = new EegWindower(Options(Filters).Windows).GetWindows(reader, new MontageMapper().Map(reader.Signals)).ToList();
        Assert.AreNotEqual(unfiltered[3].Signal[100], windows[3].Signal[100], "the filters change the signal");
        int size = windows[0].Signal.Length;
        var buffer = new float[windows.Count * size];
        for (int i = 0; i < windows.Count; i++) windows[i].Signal.CopyTo(buffer, i * size);
        EegDinoEncoding expected = Encoder.EncodeBatch(buffer, windows.Count, 19);
        var rows = File.ReadAllLines(output).Skip(1).Select(l => l.Split(',')).ToList();
        for (int i = 0; i < windows.Count; i++)
        {
            ReadOnlySpan<float> e = expected.GetPooledMean(i);
            for (int d = 0; d < e.Length; d++)
                Assert.AreEqual(e[d], float.Parse(rows[i][7 + d], CultureInfo.InvariantCulture), 1e-5f * Math.Max(1f, Math.Abs(e[d])), $"row {i}, emb_{d}");
        }
    }

    [TestMethod]
    public void OtherFiltersCannotResumeTheSameOutput()
    {
        var inputs = EegEmbeddingJob.FindRecordings([_folder]);
        string output = Path.Combine(_folder, "out.csv");
        Job(output, Options(Filters)).Run(inputs);
        StringAssert.Contains(File.ReadLines(output + ".progress.jsonl").First(), Filters.ToString());

        foreach (EegFilterOptions other in new[] { EegFilterOptions.None, new EegFilterOptions { LowFrequencyHz = 1, HighFrequencyHz = 40, NotchFrequenciesHz = [60] } })
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => Job(output, Options(other)).Run(inputs));
            StringAssert.Contains(e.Message, "other settings");
        }
        // The same filters, given again, find the run complete.
        Assert.IsTrue(Job(output, Options(EegFilterOptions.Parse(Filters.ToString()))).Run(inputs).AlreadyComplete);
    }

    [TestMethod]
    public void RunsWithoutFiltersKeepTheirFingerprint()
    {
        var inputs = EegEmbeddingJob.FindRecordings([_folder]);
        string output = Path.Combine(_folder, "out.csv");
        Job(output, Options(EegFilterOptions.None)).Run(inputs);
        Assert.DoesNotContain("filters", File.ReadLines(output + ".progress.jsonl").First());
    }

    [TestMethod]
    public void ContradictoryFiltersAreRefusedWhenTheJobIsCreated() =>
        Assert.ThrowsExactly<ArgumentException>(() => Job(Path.Combine(_folder, "out.csv"), Options(new EegFilterOptions { LowFrequencyHz = 40, HighFrequencyHz = 4 })));
}

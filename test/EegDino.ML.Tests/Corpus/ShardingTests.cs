using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.Corpus;

/// <summary>
/// Shards of one corpus: parsing (K/N, Slurm, Kubernetes, errors), a deterministic byte-balanced split
/// that covers every recording once, parts that together equal an unsharded run, and the dataset check.
/// </summary>
[TestClass]
public sealed class ShardingTests
{
    private static EegDinoEncoder? _encoder;
    private string _folder = "";

    private static EegDinoEncoder Encoder => _encoder ??= EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });

    [ClassCleanup]
    public static void DisposeEncoder() => _encoder?.Dispose();

    [TestInitialize]
    public void CreateCorpus()
    {
        // Five recordings of three sizes (61 s, 60 s at 160 Hz; 62 s at 500 Hz), in two folders.
        _folder = Path.Combine(Path.GetTempPath(), "eegdino-shards-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_folder, "corpus", "b"));
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), Path.Combine(_folder, "corpus", "a1.edf"));
        File.Copy(EdfTestWriter.TestData("S001R02.edf"), Path.Combine(_folder, "corpus", "a2.edf"));
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), Path.Combine(_folder, "corpus", "b", "a1.edf"));
        File.Copy(EdfTestWriter.TestData("S001R02.edf"), Path.Combine(_folder, "corpus", "b", "a2.edf"));
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), Path.Combine(_folder, "corpus", "b", "a3.edf"));
    }

    [TestCleanup]
    public void DeleteCorpus()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private string Corpus => Path.Combine(_folder, "corpus");

    private static EmbeddingJobOptions Options(EmbeddingShard? shard, double window = 4) => new()
    {
        Windows = new EegWindowOptions { WindowSeconds = window, StrideSeconds = window },
        ModelIdentity = "tiny",
        Shard = shard,
    };

    private static EmbeddingJobResult Run(string output, EmbeddingJobOptions options, IReadOnlyList<EegRecordingSource> inputs) =>
        new EegEmbeddingJob(Encoder, options, output, (path, dim) => new CsvEmbeddingWriter(path, dim)).Run(inputs);

    private static List<string> Rows(string path) => File.ReadAllLines(path).Skip(1).ToList();

    [TestMethod]
    [DataRow("0/3", 0, 3)]
    [DataRow("2/3", 2, 3)]
    [DataRow(" 0/1", 0, 1)]
    public void KOverNParses(string text, int k, int n) => Assert.AreEqual(new EmbeddingShard(k, n), EmbeddingShard.Parse(text, environment: _ => null));

    [TestMethod]
    [DataRow("3/3", "must be 0 to 2")]
    [DataRow("-1/2", "must be 0 to 1")]
    [DataRow("0/0", "1 to 99999 shards")]
    [DataRow("1", "K/N")]
    [DataRow("a/b", "K/N")]
    [DataRow("auto", "found no scheduler")]
    public void BadShardsAreNamed(string text, string expected)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => EmbeddingShard.Parse(text, environment: _ => null));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void AutoReadsSlurmAndKubernetes()
    {
        Func<string, string?> Env(params (string, string)[] vars) => name => vars.FirstOrDefault(v => v.Item1 == name).Item2;
        Assert.AreEqual(new EmbeddingShard(1, 3), EmbeddingShard.Parse("auto", environment: Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "3"))));
        Assert.AreEqual(new EmbeddingShard(1, 3), EmbeddingShard.Parse("auto", environment: Env(("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "4"), ("SLURM_ARRAY_TASK_MAX", "6"))));
        Assert.AreEqual(new EmbeddingShard(2, 4), EmbeddingShard.Parse("auto", shards: 4, environment: Env(("JOB_COMPLETION_INDEX", "2"))));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            EmbeddingShard.Parse("auto", environment: Env(("JOB_COMPLETION_INDEX", "2")))).Message, "give the shard count");
        // A resubmitted single task: the array is 1..1, the count comes from --shards, the id is the shard.
        Assert.AreEqual(new EmbeddingShard(1, 3), EmbeddingShard.Parse("auto", shards: 3, environment: Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_COUNT", "1"), ("SLURM_ARRAY_TASK_MIN", "1"))));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            EmbeddingShard.Parse("auto", shards: 2, environment: Env(("SLURM_ARRAY_TASK_ID", "2")))).Message, "must be 0 to 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() =>
            EmbeddingShard.Parse("auto", shards: 2, environment: Env(("JOB_COMPLETION_INDEX", "2")))).Message, "must be 0 to 1");
    }

    [TestMethod]
    public void TheSplitCoversEveryRecordingOnceAndBalancesBytes()
    {
        var sizes = new long[] { 100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 10, 10 };
        string[] names = sizes.Select((_, i) => $"r{i:D2}").ToArray();
        int[] owner = EmbeddingShard.Assign(sizes, names, 3);
        var loads = Enumerable.Range(0, 3).Select(s => sizes.Where((_, i) => owner[i] == s).Sum()).ToArray();
        Assert.IsLessThanOrEqualTo(100, loads.Max() - loads.Min(), "no shard carries more than one large recording extra");
        CollectionAssert.AreEqual(owner, EmbeddingShard.Assign(sizes, names, 3), "deterministic");
        // Count alone would give shard 0 four files of 100+70+40+10 = 220 bytes against 130; bytes even it out.
        Assert.IsLessThan(200, loads.Max());

        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        var shares = Enumerable.Range(0, 3).Select(k => new EmbeddingShard(k, 3).Select(inputs)).ToList();
        CollectionAssert.AreEquivalent(inputs.Select(i => i.Name).ToArray(), shares.SelectMany(s => s).Select(i => i.Name).ToArray());
        Assert.IsTrue(shares.All(s => s.Count > 0));
    }

    [TestMethod]
    public void ThreeShardsHoldExactlyTheRowsOfOneRunAndTheDatasetVerifies()
    {
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        string whole = Path.Combine(_folder, "whole.csv");
        Run(whole, Options(null), inputs);

        string dataset = Path.Combine(_folder, "dataset");
        Directory.CreateDirectory(dataset);
        for (int k = 0; k < 3; k++)
        {
            var shard = new EmbeddingShard(k, 3);
            var result = Run(Path.Combine(dataset, shard.PartFileName("csv")), Options(shard), inputs);
            Assert.IsTrue(result.Assembled);
            if (k == 1) StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => EmbeddingDataset.Verify(dataset)).Message, "1 of 3 parts are missing (shards 2)");
        }
        var manifest = EmbeddingDataset.Verify(dataset);
        var parts = Enumerable.Range(0, 3).SelectMany(k => Rows(Path.Combine(dataset, new EmbeddingShard(k, 3).PartFileName("csv")))).ToList();
        EmbeddingTables.AssertSameRows(Rows(whole), parts);
        Assert.AreEqual((long)parts.Count, manifest.Rows);
        Assert.AreEqual(3, manifest.Shards);
        Assert.IsTrue(File.Exists(Path.Combine(dataset, EmbeddingDataset.ManifestFileName)));

        // A finished shard run again changes nothing.
        string part0 = Path.Combine(dataset, new EmbeddingShard(0, 3).PartFileName("csv"));
        var before = File.ReadAllBytes(part0);
        Assert.IsTrue(Run(part0, Options(new EmbeddingShard(0, 3)), inputs).AlreadyComplete);
        CollectionAssert.AreEqual(before, File.ReadAllBytes(part0));
    }

    [TestMethod]
    public void ConflictingSettingsBetweenShardsAreRefused()
    {
        var inputs = EegEmbeddingJob.FindRecordings([Corpus]);
        string dataset = Path.Combine(_folder, "dataset");
        Directory.CreateDirectory(dataset);
        Run(Path.Combine(dataset, new EmbeddingShard(0, 2).PartFileName("csv")), Options(new EmbeddingShard(0, 2), window: 4), inputs);
        Run(Path.Combine(dataset, new EmbeddingShard(1, 2).PartFileName("csv")), Options(new EmbeddingShard(1, 2), window: 2), inputs);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => EmbeddingDataset.Verify(dataset));
        StringAssert.Contains(e.Message, "part-00001-of-00002.csv was written with other settings");
    }
}

using System.Diagnostics;
using System.Reflection;
using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.ScaleOut;

/// <summary>
/// <c>eegdino embed --shard auto</c> under a real Slurm: Debian's slurm-wlm and munge as a one-node
/// cluster on this machine (scripts/slurm/one-node-cluster.sh; .ci/run installs the packages), a job
/// array of three tasks, and one task cancelled with scancel and submitted again. The dataset equals
/// an unsharded run of the same command: same rows, same embeddings, no window lost or twice.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class SlurmShardingTests
{
    private static string _cluster = "";
    private static string _conf = "";
    private static string? _unavailable;
    private TempFolder? _folder;

    private static string Script => Path.Combine(Repository.Root, "scripts", "slurm", "one-node-cluster.sh");

    [ClassInitialize]
    public static void StartCluster(TestContext _)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            _unavailable = "the one-node Slurm cluster needs Linux and root (CI runs as root)";
            return;
        }
        if (!File.Exists("/usr/sbin/slurmctld") || !File.Exists("/usr/sbin/munged"))
        {
            _unavailable = "Debian's slurm-wlm and munge are not installed (.ci/run installs them: apt-get install slurm-wlm munge)";
            return;
        }
        _cluster = Directory.CreateTempSubdirectory("eegdino-slurm-").FullName;
        var (code, output) = Shell("bash", Script, "start", _cluster);
        if (code != 0) Assert.Fail($"The one-node Slurm cluster did not start (exit {code}):\n{output}");
        _conf = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("SLURM_CONF=", StringComparison.Ordinal))["SLURM_CONF=".Length..];
    }

    [ClassCleanup]
    public static void StopCluster()
    {
        if (_cluster.Length == 0) return;
        Shell("bash", Script, "stop", _cluster);
        try { Directory.Delete(_cluster, recursive: true); } catch (IOException) { }
    }

    [TestInitialize]
    public void Skip()
    {
        if (_unavailable is not null) Assert.Inconclusive($"Slurm tests not run: {_unavailable}.");
        _folder = TempFolder.Create("slurm");
    }

    [TestCleanup]
    public void Clean() => _folder?.Dispose();

    private static (int Code, string Output) Shell(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        if (_conf.Length > 0) start.Environment["SLURM_CONF"] = _conf;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    private static string App => typeof(SlurmShardingTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SamplesAssembly").Value!;

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>A corpus of <paramref name="copies"/> x 3 recordings (61 s and 60 s at 160 Hz, 62 s at 500 Hz) in two folders.</summary>
    private string Corpus(int copies)
    {
        string corpus = _folder!.File("corpus");
        for (int i = 0; i < copies; i++)
        {
            string sub = Directory.CreateDirectory(Path.Combine(corpus, i % 2 == 0 ? "a" : "b", $"s{i:D2}")).FullName;
            foreach (string name in new[] { "S001R01.edf", "S001R02.edf", "Subject00_2.edf" })
                File.Copy(EdfTestWriter.TestData(name), Path.Combine(sub, name));
        }
        return corpus;
    }

    private string[] EmbedArguments(string corpus, string model, string output, params string[] extra) =>
    [
        App, "embed", corpus, "--model", Fixtures.Weights(model), "--config", Fixtures.File($"{model}.json"),
        "--output", output, "--format", "csv", "--window-seconds", "4", "--batch-size", "4", .. extra,
    ];

    /// <summary>Submits the embed command as a job array; returns the job id.</summary>
    private string Submit(string array, string[] arguments)
    {
        string script = _folder!.File($"job-{Guid.NewGuid():N}.sh");
        File.WriteAllText(script, "#!/bin/bash\nexec " + string.Join(' ', new[] { Dotnet }.Concat(arguments).Select(Quote)) + "\n");
        var (code, output) = Shell("sbatch", "--parsable", $"--array={array}", "-c", "1", "-o", _folder.File("task-%A-%a.log"), script);
        Assert.AreEqual(0, code, output);
        return output.Trim().Split(';')[0];
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void WaitFor(string job, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            var (_, output) = Shell("squeue", "-h", "-j", job, "-o", "%i");
            if (output.Trim().Length == 0) return;
            Thread.Sleep(250);
        }
        Assert.Fail($"Slurm job {job} did not finish within {limit.TotalSeconds} s");
    }

    private string TaskLogs() => string.Join("\n", Directory.GetFiles(_folder!.Path, "task-*.log").Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    private static List<string> Rows(params string[] tables) => tables.SelectMany(t => File.ReadAllLines(t).Skip(1)).ToList();

    private string[] Parts(string dataset, int shards) =>
        Enumerable.Range(0, shards).Select(k => Path.Combine(dataset, $"part-{k:D5}-of-{shards:D5}.csv")).ToArray();

    private string Unsharded(string corpus, string model)
    {
        string whole = _folder!.File("whole.csv");
        var (code, output) = Shell(Dotnet, EmbedArguments(corpus, model, whole));
        Assert.AreEqual(0, code, output);
        return whole;
    }

    [TestMethod]
    public void AJobArrayOfThreeGivesTheRowsOfOneRun()
    {
        string corpus = Corpus(copies: 2);
        string whole = Unsharded(corpus, "tiny");
        string dataset = _folder!.File("dataset");
        string job = Submit("0-2", EmbedArguments(corpus, "tiny", dataset, "--shard", "auto"));
        WaitFor(job, TimeSpan.FromMinutes(10));

        var verify = Shell(Dotnet, App, "embed", "--verify", dataset);
        Assert.AreEqual(0, verify.Code, verify.Output + TaskLogs());
        StringAssert.Contains(verify.Output, "complete, 3 parts");
        EmbeddingTables.AssertSameRows(Rows(whole), Rows(Parts(dataset, 3)), TaskLogs());

        // The merged table equals the unsharded one too.
        string merged = _folder.File("merged.csv");
        var merge = Shell(Dotnet, App, "embed", "--merge", dataset, "--output", merged);
        Assert.AreEqual(0, merge.Code, merge.Output);
        EmbeddingTables.AssertSameRows(Rows(whole), Rows(merged));
    }

    [TestMethod]
    public void ACancelledTaskSubmittedAgainCompletesTheDatasetWithNothingLostOrTwice()
    {
        // The Small fixture at batch 4 makes a task last seconds, long enough to cancel one mid-run.
        string corpus = Corpus(copies: 8);
        string whole = Unsharded(corpus, "small");
        string dataset = _folder!.File("dataset");
        string job = Submit("0-2", EmbedArguments(corpus, "small", dataset, "--shard", "auto"));

        string log = Path.Combine(dataset, "part-00001-of-00003.csv.progress.jsonl");
        var watch = Stopwatch.StartNew();
        while (!(File.Exists(log) && File.ReadLines(log).Any(l => l.Contains("\"kind\":\"done\"", StringComparison.Ordinal))))
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(5)) Assert.Fail("shard 1 never finished a recording\n" + TaskLogs());
            Thread.Sleep(50);
        }
        var cancel = Shell("scancel", $"{job}_1");
        Assert.AreEqual(0, cancel.Code, cancel.Output);
        WaitFor(job, TimeSpan.FromMinutes(10));

        var incomplete = Shell(Dotnet, App, "embed", "--verify", dataset);
        Assert.AreNotEqual(0, incomplete.Code, "the dataset is incomplete while shard 1 is cancelled\n" + TaskLogs());
        StringAssert.Contains(incomplete.Output, "part");

        // Resubmitted alone: the task id is the shard when the count is given.
        string again = Submit("1", EmbedArguments(corpus, "small", dataset, "--shard", "auto", "--shards", "3"));
        WaitFor(again, TimeSpan.FromMinutes(10));
        var verify = Shell(Dotnet, App, "embed", "--verify", dataset);
        Assert.AreEqual(0, verify.Code, verify.Output + TaskLogs());
        EmbeddingTables.AssertSameRows(Rows(whole), Rows(Parts(dataset, 3)), TaskLogs());
    }
}

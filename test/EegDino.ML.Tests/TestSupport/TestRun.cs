namespace EegDino.ML.Tests;

/// <summary>
/// The test run's start and end. With <c>EEGDINO_TEST_GC_STRESS=1</c> in the environment, a
/// <see cref="CollectorThread"/> runs for the whole test run: that turns the rare TorchSharp lifetime
/// races into frequent ones, so a new unprotected call shows up as a failing test (off by default: it
/// slows the suite down about tenfold). At the end, the run's scratch folder is removed.
/// </summary>
[TestClass]
public static class TestRun
{
    private static CollectorThread? _collector;

    [AssemblyInitialize]
    public static void Start(TestContext _)
    {
        if (Environment.GetEnvironmentVariable("EEGDINO_TEST_GC_STRESS") == "1") _collector = new CollectorThread();
    }

    [AssemblyCleanup]
    public static void Cleanup()
    {
        _collector?.Dispose();
        if (TempFolder.Created && Directory.Exists(TempFolder.RunRoot)) Directory.Delete(TempFolder.RunRoot, recursive: true);
    }
}

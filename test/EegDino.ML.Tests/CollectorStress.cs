namespace EegDino.ML.Tests;

/// <summary>
/// With <c>EEGDINO_TEST_GC_STRESS=1</c> in the environment, a <see cref="CollectorThread"/> runs for
/// the whole test run. That turns the rare TorchSharp lifetime races into frequent ones, so a new
/// unprotected call shows up as a failing test. Off by default: it slows the suite down about tenfold.
/// </summary>
[TestClass]
public static class CollectorStress
{
    private static CollectorThread? _collector;

    [AssemblyInitialize]
    public static void Start(TestContext _)
    {
        if (Environment.GetEnvironmentVariable("EEGDINO_TEST_GC_STRESS") == "1") _collector = new CollectorThread();
    }

    [AssemblyCleanup]
    public static void Stop() => _collector?.Dispose();
}

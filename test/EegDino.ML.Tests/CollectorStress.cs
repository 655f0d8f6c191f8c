namespace EegDino.ML.Tests;

/// <summary>
/// With <c>EEGDINO_TEST_GC_STRESS=1</c> in the environment, a background thread forces garbage
/// collections and runs finalizers back to back for the whole test run. That turns the rare
/// TorchSharp lifetime races (an object freed by its finalizer while libtorch still reads it; see
/// <c>TorchScalars</c> in the library) into frequent ones, so a new unprotected call shows up as a
/// failing test. Off by default: it slows the suite down.
/// </summary>
[TestClass]
public static class CollectorStress
{
    private static Thread? _thread;
    private static volatile bool _stop;

    [AssemblyInitialize]
    public static void Start(TestContext _)
    {
        if (Environment.GetEnvironmentVariable("EEGDINO_TEST_GC_STRESS") != "1") return;
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true, Name = "collector stress" };
        _thread.Start();
    }

    [AssemblyCleanup]
    public static void Stop()
    {
        _stop = true;
        _thread?.Join();
    }
}

namespace EegDino.ML.Tests;

/// <summary>
/// A background thread that forces garbage collections and runs finalizers back to back until
/// stopped: the setting in which a TorchSharp object that nothing keeps reachable during a native
/// call gets freed under libtorch's feet (see <c>TorchScalars</c> in the library).
/// </summary>
internal sealed class CollectorThread : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private int _collections;

    public CollectorThread()
    {
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                GC.KeepAlive(new byte[4096]);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                _collections++;
            }
        }) { IsBackground = true, Name = "collector" };
        _thread.Start();
    }

    /// <summary>Stops the thread; returns how many collections it forced.</summary>
    public int Stop()
    {
        _stop = true;
        _thread.Join();
        return _collections;
    }

    public void Dispose() => Stop();
}

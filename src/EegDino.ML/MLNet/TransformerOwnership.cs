using EegDino.ML.Model;

namespace EegDino.ML.MLNet;

/// <summary>
/// Who holds a transformer's network, and what its <c>Dispose</c> releases. ML.NET's
/// <c>PredictionEngine</c> owns its transformer by default (<c>PredictionEngineOptions.OwnsTransformer</c>
/// = true) and calls the transformer's <c>Dispose</c> when the engine is disposed. So every row-to-row
/// mapper (one per engine) takes a lease of its own, and <see cref="Dispose"/> releases an engine's
/// lease while one is outstanding, and the creator's lease otherwise:
/// <list type="bullet">
/// <item>disposing an engine leaves the model usable;</item>
/// <item>disposing the model while an engine is alive leaves the engine working, and the network is
/// freed when the last of them lets go;</item>
/// <item>further <c>Dispose</c> calls do nothing (idempotent).</item>
/// </list>
/// An engine created with <c>OwnsTransformer = false</c> never calls <c>Dispose</c>: its lease is then
/// released by its finalizer once the engine is garbage, and a <c>Dispose</c> of the model meanwhile
/// releases that lease instead of the model's, whose network then lives until the model is garbage.
/// </summary>
internal sealed class TransformerOwnership : IDisposable
{
    private readonly RuntimeLease _own;
    private readonly List<WeakReference<RuntimeLease>> _mapperLeases = [];

    public TransformerOwnership(RuntimeLease own) => _own = own;

    /// <summary>The network, while the creator's lease is held.</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public EegDinoRuntime Runtime
    {
        get
        {
            if (_own.IsReleased) throw new ObjectDisposedException("The EEG-DINO transformer was disposed; its network is freed.");
            return _own.Runtime;
        }
    }

    /// <summary>The creator's lease (for the transformer's own views and cursors).</summary>
    public RuntimeLease Own
    {
        get
        {
            _ = Runtime;
            return _own;
        }
    }

    /// <summary>A lease for a new row-to-row mapper (a PredictionEngine's).</summary>
    public RuntimeLease ForMapper()
    {
        RuntimeLease lease = Own.Share();
        lock (_mapperLeases)
        {
            _mapperLeases.RemoveAll(w => !w.TryGetTarget(out var l) || l.IsReleased);
            _mapperLeases.Add(new WeakReference<RuntimeLease>(lease));
        }
        return lease;
    }

    public void Dispose()
    {
        lock (_mapperLeases)
        {
            for (int i = _mapperLeases.Count - 1; i >= 0; i--)
            {
                var weak = _mapperLeases[i];
                _mapperLeases.RemoveAt(i);
                if (weak.TryGetTarget(out var lease) && !lease.IsReleased)
                {
                    lease.Dispose();
                    return;
                }
            }
        }
        _own.Dispose();
    }
}

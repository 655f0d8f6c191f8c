using EegDino.ML.Eeg;
using EegDino.ML.Model;

namespace EegDino.ML.Corpus;

/// <summary>
/// Groups windows into forward passes of up to <c>batchSize</c> windows of one shape (a batch is
/// flushed early when the shape changes), runs them through the runtime for one output, and hands
/// each batch's embeddings back with the tags the windows were added with. Used by the corpus job
/// and by <see cref="EegDinoEncoder.EmbedWindows"/>.
/// </summary>
internal sealed class WindowBatcher<TTag>
{
    private readonly EegDinoRuntime _runtime;
    private readonly EncoderOutput _output;
    private readonly int _batchSize;
    private readonly Action<IReadOnlyList<(TTag Tag, EegWindow Window)>, float[], int> _encoded;
    private readonly List<(TTag Tag, EegWindow Window)> _queue = [];
    private float[] _signals = [];

    /// <param name="runtime">The network.</param>
    /// <param name="output">What to compute per window (a pooled output: one vector per window).</param>
    /// <param name="batchSize">Windows per forward pass.</param>
    /// <param name="encoded">Called after each forward pass with the batch, its embeddings <c>[count, D]</c> (a fresh array) and D.</param>
    public WindowBatcher(EegDinoRuntime runtime, EncoderOutput output, int batchSize, Action<IReadOnlyList<(TTag Tag, EegWindow Window)>, float[], int> encoded)
    {
        _runtime = runtime;
        _output = output;
        _batchSize = batchSize;
        _encoded = encoded;
    }

    /// <summary>Windows waiting for a forward pass.</summary>
    public int Count => _queue.Count;

    public void Add(TTag tag, EegWindow window)
    {
        if (_queue.Count > 0 && !SameShape(_queue[0].Window, window)) Flush();
        _queue.Add((tag, window));
        if (_queue.Count == _batchSize) Flush();
    }

    /// <summary>Drops the waiting windows whose tag matches (e.g. of a recording that failed meanwhile).</summary>
    public void RemoveAll(Predicate<TTag> match) => _queue.RemoveAll(q => match(q.Tag));

    /// <summary>Encodes the waiting windows, if any.</summary>
    public void Flush()
    {
        int count = _queue.Count;
        if (count == 0) return;
        EegWindow first = _queue[0].Window;
        int channels = first.Channels.Count, size = channels * first.NumberOfSamples;
        if (_signals.Length != count * size) _signals = new float[count * size];
        for (int i = 0; i < count; i++) _queue[i].Window.Signal.CopyTo(_signals, i * size);
        int dim = _runtime.OutputLength(_output, channels, first.NumberOfSamples);
        var outputs = new float[count * dim];
        _runtime.Compute(_signals, count, channels, _output, outputs);
        var batch = _queue.ToArray();
        _queue.Clear();
        _encoded(batch, outputs, dim);
    }

    private static bool SameShape(EegWindow a, EegWindow b) => a.Channels.Count == b.Channels.Count && a.NumberOfSamples == b.NumberOfSamples;
}

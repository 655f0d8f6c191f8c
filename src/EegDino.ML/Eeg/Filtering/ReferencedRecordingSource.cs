namespace EegDino.ML.Eeg;

/// <summary>
/// A recording's montage channels in microvolts, double precision, re-referenced: each channel
/// minus the mean of the reference signals (<see cref="ReferenceSignals"/>), sample by sample, as
/// MNE's <c>set_eeg_reference</c> subtracts <c>data[ref].mean(0)</c>. Samples are decoded from
/// the digital values (<c>digital x gain + offset</c>, times the unit's factor) in double, as MNE does,
/// rather than from the reader's float32 microvolts.
/// </summary>
internal sealed class ReferencedRecordingSource : IChannelSource
{
    private readonly EdfReader _reader;
    private readonly int[] _channels, _reference;
    private readonly double[] _gain, _offset; // per signal index read: microvolts = digital x gain + offset
    private readonly Dictionary<int, int> _slotOfSignal = [];
    private readonly int[] _signals; // signal index of each slot
    private readonly double[] _channelGain, _channelOffset; // per output channel

    /// <summary>Creates the source.</summary>
    /// <param name="reader">The open recording (not disposed here).</param>
    /// <param name="channels">Signal index of each output channel (the montage's).</param>
    /// <param name="reference">Signal indexes whose mean is subtracted; empty for none.</param>
    public ReferencedRecordingSource(EdfReader reader, IReadOnlyList<int> channels, IReadOnlyList<int> reference)
    {
        _reader = reader;
        _channels = channels.ToArray();
        _reference = reference.ToArray();
        int[] all = _channels.Concat(_reference).Distinct().ToArray();
        _signals = all;
        _gain = new double[all.Length];
        _offset = new double[all.Length];
        for (int k = 0; k < all.Length; k++)
        {
            EdfSignal s = reader.Signals[all[k]];
            double unit = s.MicrovoltsPerUnit ?? throw new EdfFormatException(
                $"{reader.SourceName}: signal {s.Index + 1} ('{s.Label}') has physical dimension '{s.PhysicalDimension}', which is not a voltage (uV, mV, V or nV).");
            _gain[k] = s.Gain * unit;
            _offset[k] = s.Offset * unit;
            _slotOfSignal[all[k]] = k;
        }
        _channelGain = _channels.Select(c => _gain[_slotOfSignal[c]]).ToArray();
        _channelOffset = _channels.Select(c => _offset[_slotOfSignal[c]]).ToArray();
        Length = reader.SampleCount(_channels[0]);
    }

    public int Channels => _channels.Length;

    public long Length { get; }

    public void Read(long start, int count, double[][] destination, int offset)
    {
        if (_reference.Length == 0)
        {
            // No reference: straight into the destination.
            _reader.ReadScaled(_channels, _channelGain, _channelOffset, start, count, destination, offset);
            return;
        }
        // Each signal is decoded once, even when it is both a channel and part of the reference.
        var decoded = new double[_signals.Length][];
        for (int k = 0; k < decoded.Length; k++) decoded[k] = new double[count];
        _reader.ReadScaled(_signals, _gain, _offset, start, count, decoded, 0);
        double[]? reference = null;
        if (_reference.Length > 0)
        {
            reference = new double[count];
            foreach (int signal in _reference)
            {
                double[] v = decoded[_slotOfSignal[signal]];
                for (int i = 0; i < count; i++) reference[i] += v[i];
            }
            for (int i = 0; i < count; i++) reference[i] /= _reference.Length;
        }
        for (int c = 0; c < _channels.Length; c++)
        {
            double[] v = decoded[_slotOfSignal[_channels[c]]];
            Span<double> dest = destination[c].AsSpan(offset, count);
            if (reference is null) v.CopyTo(dest);
            else for (int i = 0; i < count; i++) dest[i] = v[i] - reference[i];
        }
    }
}

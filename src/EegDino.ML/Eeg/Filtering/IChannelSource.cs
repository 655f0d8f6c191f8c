namespace EegDino.ML.Eeg;

/// <summary>
/// Multi-channel samples at one rate that can be read in any range, in microvolts, double
/// precision: a recording's re-referenced channels, or a filter stage over another source.
/// </summary>
internal interface IChannelSource
{
    /// <summary>Number of channels.</summary>
    int Channels { get; }

    /// <summary>Samples per channel.</summary>
    long Length { get; }

    /// <summary>Reads samples [<paramref name="start"/>, + <paramref name="count"/>) of every channel.</summary>
    /// <param name="start">First sample, at least 0.</param>
    /// <param name="count">Number of samples; start + count at most <see cref="Length"/>.</param>
    /// <param name="destination">One array per channel, each with room from <paramref name="offset"/>.</param>
    /// <param name="offset">Where in each destination array sample <paramref name="start"/> goes.</param>
    void Read(long start, int count, double[][] destination, int offset);
}

/// <summary>Channels held in memory (tests, and signals read whole).</summary>
internal sealed class ArrayChannelSource : IChannelSource
{
    private readonly double[][] _channels;

    /// <summary>Wraps arrays of equal length (not copied).</summary>
    public ArrayChannelSource(double[][] channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Length == 0) throw new ArgumentException("At least one channel is needed.", nameof(channels));
        if (channels.Any(c => c.Length != channels[0].Length))
            throw new ArgumentException("The channels have different lengths.", nameof(channels));
        _channels = channels;
    }

    public int Channels => _channels.Length;

    public long Length => _channels[0].Length;

    public void Read(long start, int count, double[][] destination, int offset)
    {
        for (int c = 0; c < _channels.Length; c++)
            _channels[c].AsSpan(checked((int)start), count).CopyTo(destination[c].AsSpan(offset, count));
    }
}

using System.Runtime.CompilerServices;
using System.Globalization;

namespace EegDino.ML.Eeg;

/// <summary>
/// A recording's montage channels after <see cref="EegFilterOptions"/>, at the file's own rate:
/// read, re-referenced, notched, band-stopped, then high-, low- or band-passed, in that order (MNE:
/// <c>set_eeg_reference</c>, <c>notch_filter</c>, <c>filter</c>). Any range can be read; the
/// filters work block by block, so memory does not grow with the recording's length.
/// </summary>
/// <remarks>Not thread-safe: it reads through one <see cref="EdfReader"/>.</remarks>
internal sealed class ConditionedRecording : IChannelSource
{
    /// <summary>Recordings of at least this many times the filters' total length use the cascade (330 s for notch + band-pass).</summary>
    internal const int CascadeMinimumLengthFactor = 25;

    private readonly IChannelSource _output;

    private ConditionedRecording(IChannelSource output, double samplesPerSecond, int[] referenceSignals, FirFilterDesign[] filters)
    {
        _output = output;
        SamplesPerSecond = samplesPerSecond;
        ReferenceSignalIndexes = referenceSignals;
        Filters = filters;
    }

    /// <summary>The montage channels' rate in Hz.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>Signal indexes whose mean is subtracted (empty when the reference is kept).</summary>
    public IReadOnlyList<int> ReferenceSignalIndexes { get; }

    /// <summary>The filters, in the order they are applied.</summary>
    public IReadOnlyList<FirFilterDesign> Filters { get; }

    public int Channels => _output.Channels;

    public long Length => _output.Length;

    /// <summary>Prepares the conditioning of one recording (reads no samples).</summary>
    /// <param name="reader">The open recording; it must stay open while this is used.</param>
    /// <param name="mapping">Its montage mapping; the mapped channels must share one rate.</param>
    /// <param name="options">What to apply.</param>
    /// <exception cref="ArgumentException">The options contradict each other (see <see cref="EegFilterOptions.Validate"/>).</exception>
    /// <exception cref="EegFilterException">The options cannot be applied to this recording.</exception>
    public static ConditionedRecording Create(EdfReader reader, MontageMapping mapping, EegFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        EdfSignal first = reader.Signals[mapping.SourceIndexes[0]];
        double rate = first.SamplesPerSecond;
        long length = reader.SampleCount(first.Index);
        var ci = CultureInfo.InvariantCulture;
        string context = string.Create(ci, $"{reader.SourceName} ({rate} Hz, {length} samples)");
        if (!(rate > 0)) throw new EegFilterException($"{context}: the signals have no sampling rate (record duration {reader.Header.RecordDurationSeconds} s).");

        int[] reference = ReferenceSignals.Select(reader.Signals, mapping, options.Reference, context);
        IChannelSource source = new ReferencedRecordingSource(reader, mapping.SourceIndexes, reference);
        // Each contiguous part of an EDF+D file is filtered on its own (MNE: between 'edge' annotations).
        long[] parts = reader.Gaps.Select(g => (g.AfterRecord + 1) * first.SamplesPerRecord).ToArray();
        // Filters in turn, each with its own edge padding, as MNE applies them. On a long recording
        // several run as one convolved kernel away from the edges (CascadeFilterStage): measured 1.6x
        // faster for notch + band-pass over 20 min, even at 5 min, slower on 1 min (its edge work).
        FirFilterDesign[] filters = Designs(options, rate, length, context).ToArray();
        if (filters.Length > 1 && length >= CascadeMinimumLengthFactor * filters.Sum(f => (long)f.Length))
        {
            source = new CascadeFilterStage(source, filters, parts);
        }
        else
        {
            for (int k = 0; k < filters.Length; k++)
                source = new ZeroPhaseFilterStage(source, filters[k], parts, cachedBlocks: k == filters.Length - 1 ? 2 : 3);
        }
        return new ConditionedRecording(source, rate, reference, filters);
    }

    /// <summary>The filters the options ask for at one rate, in the order they are applied.</summary>
    /// <param name="options">The options.</param>
    /// <param name="samplesPerSecond">The rate in Hz.</param>
    /// <param name="maxLength">The recording's length in samples: no filter may be longer.</param>
    /// <param name="context">The recording, for messages.</param>
    /// <exception cref="EegFilterException">A filter cannot be built.</exception>
    internal static IEnumerable<FirFilterDesign> Designs(EegFilterOptions options, double samplesPerSecond, long maxLength, string context)
    {
        var designs = new List<FirFilterDesign>();
        if (options.NotchFrequenciesHz.Count > 0)
        {
            double[] notch = FirFilterDesign.NotchFrequencies(options.NotchFrequenciesHz, options.NotchHarmonics, samplesPerSecond, context);
            designs.Add(FirFilterDesign.Notch(samplesPerSecond, notch, maxLength, context));
        }
        if (options.BandStop is { } stop)
            designs.Add(FirFilterDesign.Stop(samplesPerSecond, [stop.LowHz], [stop.HighHz], null, null, maxLength, context, "band-stop"));
        if (options.LowFrequencyHz is not null || options.HighFrequencyHz is not null)
        {
            designs.Add(FirFilterDesign.Pass(samplesPerSecond, options.LowFrequencyHz, options.HighFrequencyHz,
                options.LowTransitionBandwidthHz, options.HighTransitionBandwidthHz, maxLength, context));
        }
        return designs;
    }

    public void Read(long start, int count, double[][] destination, int offset) => _output.Read(start, count, destination, offset);

    /// <summary>Reads samples [start, start + count) of every channel as float32 microvolts.</summary>
    /// <param name="start">First sample.</param>
    /// <param name="count">Number of samples.</param>
    /// <returns><c>[channels][count]</c> values.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    public float[][] ReadMicrovolts(long start, int count)
    {
        var buffer = new double[Channels][];
        for (int c = 0; c < Channels; c++) buffer[c] = new double[count];
        Read(start, count, buffer, 0);
        var result = new float[Channels][];
        for (int c = 0; c < Channels; c++)
        {
            result[c] = new float[count];
            for (int i = 0; i < count; i++) result[c][i] = (float)buffer[c][i];
        }
        return result;
    }
}

using System.Globalization;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EegDino.ML.Eeg;

/// <summary>
/// Reads EDF, EDF+, BDF and BDF+ files: header, signals, EDF+ annotations, record onsets and gaps of
/// discontinuous files, and samples (digital, physical in the file's unit, or microvolts) of any
/// range without loading the whole file. Only the header is read when the reader opens; the
/// annotations and record onsets are read on first use (one pass over the annotation bytes).
/// </summary>
/// <remarks>
/// <para>Physical value = digital x <see cref="EdfSignal.Gain"/> + <see cref="EdfSignal.Offset"/>,
/// computed in double precision and stored as float32. Digital values outside the declared digital
/// range are kept, not clipped.</para>
/// <para>Sample indexes count the samples stored in the file, record after record. In an EDF+D/BDF+D
/// file consecutive records may be separated by a gap (<see cref="Gaps"/>); use
/// <see cref="TimeOfSample"/> for the recording time of a sample.</para>
/// <para>Not thread-safe: use one reader per thread.</para>
/// </remarks>
public sealed class EdfReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly int _recordBytes;
    private readonly int[] _signalByteOffsets;
    private readonly int _bytesPerSample;
    private byte[] _recordBuffer;
    private long _bufferedRecord = -1;
    private List<EdfAnnotation>? _annotations;
    private double[]? _recordOnsets;
    private List<EdfGap>? _gaps;

    /// <summary>Opens a file and reads its header.</summary>
    /// <param name="path">Path of an .edf or .bdf file.</param>
    /// <returns>The reader; dispose it to close the file.</returns>
    /// <exception cref="EdfFormatException">The header is not valid or the file length does not match it.</exception>
    public static EdfReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new EdfFormatException($"'{path}' is a directory, not an EDF/BDF file.");
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            return new EdfReader(stream, leaveOpen: false, Path.GetFileName(path));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the header of EDF/BDF data held in a seekable stream.</summary>
    /// <param name="stream">A readable, seekable stream positioned anywhere; the header starts at byte 0.</param>
    /// <param name="leaveOpen">True to leave the stream open when the reader is disposed.</param>
    /// <param name="sourceName">Name used in error messages (e.g. the file name).</param>
    /// <exception cref="EdfFormatException">The header is not valid or the stream length does not match it.</exception>
    public EdfReader(Stream stream, bool leaveOpen = false, string sourceName = "EDF stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        SourceName = sourceName;
        (Header, EdfSignal[] signals, _recordBytes, _signalByteOffsets) = EdfHeaderParser.Parse(stream, sourceName);
        Signals = signals;
        _bytesPerSample = Header.Is24Bit ? 3 : 2;
        _recordBuffer = [];
    }

    /// <summary>The name used in messages (the file name for <see cref="Open"/>).</summary>
    public string SourceName { get; }

    /// <summary>The fixed header fields.</summary>
    public EdfHeader Header { get; }

    /// <summary>All signals in file order, EDF+ annotation signals included (<see cref="EdfSignal.IsAnnotation"/>).</summary>
    public IReadOnlyList<EdfSignal> Signals { get; }

    /// <summary>EDF+/BDF+ annotations in file order (empty for plain EDF/BDF). Record time stamps are not included.</summary>
    /// <exception cref="EdfFormatException">An annotation list is malformed.</exception>
    public IReadOnlyList<EdfAnnotation> Annotations
    {
        get { EnsureAnnotations(); return _annotations!; }
    }

    /// <summary>
    /// Onset of every data record in seconds from the start of the recording: the record time stamps
    /// of EDF+/BDF+ files, record index x record duration otherwise.
    /// </summary>
    public IReadOnlyList<double> RecordOnsetsSeconds
    {
        get { EnsureAnnotations(); return _recordOnsets!; }
    }

    /// <summary>Gaps between records (EDF+D/BDF+D only; always empty for continuous files).</summary>
    public IReadOnlyList<EdfGap> Gaps
    {
        get { EnsureAnnotations(); return _gaps!; }
    }

    /// <summary>Recording time covered from the first record's onset to the last record's end, gaps included.</summary>
    public double DurationSeconds =>
        Header.NumberOfRecords == 0 ? 0 : RecordOnsetsSeconds[^1] + Header.RecordDurationSeconds - RecordOnsetsSeconds[0];

    /// <summary>Number of samples of a signal stored in the file: records x samples per record.</summary>
    /// <param name="signal">Signal index.</param>
    /// <returns>The sample count.</returns>
    public long SampleCount(int signal) => Header.NumberOfRecords * CheckSignal(signal).SamplesPerRecord;

    /// <summary>Recording time of a stored sample, in seconds, taking record onsets (and so gaps) into account.</summary>
    /// <param name="signal">Signal index.</param>
    /// <param name="sampleIndex">Index among the signal's stored samples.</param>
    /// <returns>Seconds from the start of the recording.</returns>
    public double TimeOfSample(int signal, long sampleIndex)
    {
        int spr = CheckSignal(signal).SamplesPerRecord;
        long record = Math.Clamp(sampleIndex / spr, 0, Math.Max(0, Header.NumberOfRecords - 1));
        return RecordOnsetsSeconds.Count == 0 ? 0 : RecordOnsetsSeconds[(int)record] + (sampleIndex - record * spr) * Header.RecordDurationSeconds / spr;
    }

    /// <summary>Reads digital (integer) samples of one signal.</summary>
    /// <param name="signal">Signal index (not an annotation signal).</param>
    /// <param name="firstSample">Index of the first stored sample to read.</param>
    /// <param name="count">Number of samples.</param>
    /// <returns>The digital values.</returns>
    public int[] ReadDigital(int signal, long firstSample, int count)
    {
        CheckRange(signal, firstSample, count);
        var result = new int[count];
        ForEachChunk(signal, firstSample, count, (bytes, at) =>
        {
            for (int i = 0; i < bytes.Length / _bytesPerSample; i++) result[at + i] = Decode(bytes, i);
        });
        return result;
    }

    /// <summary>Reads physical samples of one signal in the file's unit (<see cref="EdfSignal.PhysicalDimension"/>).</summary>
    /// <param name="signal">Signal index (not an annotation signal).</param>
    /// <param name="firstSample">Index of the first stored sample to read.</param>
    /// <param name="count">Number of samples.</param>
    /// <returns>The physical values.</returns>
    public float[] ReadPhysical(int signal, long firstSample, int count)
    {
        var result = new float[count];
        ReadScaled(signal, firstSample, result, 1.0);
        return result;
    }

    /// <summary>
    /// Reads samples of several signals in microvolts, in one pass over the records. All signals must
    /// have the same samples per record and a voltage unit.
    /// </summary>
    /// <param name="signals">Signal indexes; the result has one array per entry, in this order.</param>
    /// <param name="firstSample">Index of the first stored sample to read.</param>
    /// <param name="count">Number of samples per signal.</param>
    /// <returns><c>[signals.Count][count]</c> values in microvolts.</returns>
    /// <exception cref="EdfFormatException">A signal's unit is not a voltage.</exception>
    public float[][] ReadMicrovolts(IReadOnlyList<int> signals, long firstSample, int count)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var result = new float[signals.Count][];
        int? spr = null;
        foreach (int s in signals)
        {
            EdfSignal sig = CheckSignal(s);
            if (spr is not null && sig.SamplesPerRecord != spr)
                throw new ArgumentException(
                    $"Signals of different rates requested together: '{sig.Label}' has {sig.SamplesPerRecord} samples per record, the first one {spr}. Read them separately.", nameof(signals));
            spr = sig.SamplesPerRecord;
        }
        var gains = new double[signals.Count];
        var offsets = new double[signals.Count];
        for (int k = 0; k < signals.Count; k++)
        {
            result[k] = new float[count];
            EdfSignal sig = Signals[signals[k]];
            double scale = sig.MicrovoltsPerUnit ?? throw new EdfFormatException(
                $"{SourceName}: signal {sig.Index + 1} ('{sig.Label}') has physical dimension '{sig.PhysicalDimension}', which is not a voltage (uV, mV, V or nV); it cannot be read in microvolts.");
            CheckRange(signals[k], firstSample, count);
            CheckPhysicalRange(sig, scale);
            gains[k] = sig.Gain * scale;
            offsets[k] = sig.Offset * scale;
        }
        // Record by record, all signals from each record: every record of the range is read once.
        ForEachRecord(signals, firstSample, count, (k, bytes, at) =>
        {
            DecodeScaled(bytes, _bytesPerSample, gains[k], offsets[k], result[k].AsSpan(at, bytes.Length / _bytesPerSample));
        });
        return result;
    }

    /// <summary>
    /// Decodes samples of several signals of one rate as <c>digital x gains[k] + offsets[k]</c> in
    /// double (MNE's arithmetic), record by record so that each record of the range is read once,
    /// into <c>destination[k][destinationOffset ..]</c>.
    /// </summary>
    internal void ReadScaled(IReadOnlyList<int> signals, double[] gains, double[] offsets, long firstSample, int count, double[][] destination, int destinationOffset)
    {
        foreach (int s in signals) CheckRange(s, firstSample, count);
        ForEachRecord(signals, firstSample, count, (k, bytes, at) =>
        {
            DecodeScaled(bytes, _bytesPerSample, gains[k], offsets[k], destination[k].AsSpan(destinationOffset + at, bytes.Length / _bytesPerSample));
        });
    }

    /// <summary>
    /// Reads a time range of several signals in microvolts. Times count stored data (record index x
    /// record duration), which equals recording time for continuous files.
    /// </summary>
    /// <param name="signals">Signal indexes with equal sampling rates.</param>
    /// <param name="startSeconds">Start, in seconds of stored data.</param>
    /// <param name="durationSeconds">Length in seconds; the range is clipped to the stored data.</param>
    /// <returns><c>[signals.Count][samples]</c> values in microvolts.</returns>
    public float[][] ReadMicrovolts(IReadOnlyList<int> signals, double startSeconds, double durationSeconds)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Count == 0) return [];
        if (!(startSeconds >= 0) || !(durationSeconds >= 0))
            throw new ArgumentOutOfRangeException(nameof(startSeconds), $"startSeconds is {startSeconds} and durationSeconds {durationSeconds}; both must be >= 0.");
        EdfSignal sig = CheckSignal(signals[0]);
        long total = SampleCount(sig.Index);
        long first = Math.Min(total, (long)Math.Round(startSeconds * sig.SamplesPerSecond));
        long count = Math.Min(total - first, (long)Math.Round(durationSeconds * sig.SamplesPerSecond));
        return ReadMicrovolts(signals, first, checked((int)count));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    private void ReadScaled(int signal, long firstSample, float[] destination, double scale)
    {
        CheckRange(signal, firstSample, destination.Length);
        EdfSignal sig = Signals[signal];
        CheckPhysicalRange(sig, scale);
        double gain = sig.Gain * scale, offset = sig.Offset * scale;
        ForEachChunk(signal, firstSample, destination.Length, (bytes, at) =>
        {
            int n = bytes.Length / _bytesPerSample;
            for (int i = 0; i < n; i++) destination[at + i] = (float)(Decode(bytes, i) * gain + offset);
        });
    }

    /// <summary>
    /// The most microvolts a physical minimum or maximum may state: 1e12 uV (one megavolt), far beyond
    /// any recorder (BioSemi's BDF range is +-262,143 uV), and far enough below float32's 3.4e38 that
    /// resampling and filtering cannot overflow. A larger range is a corrupt header, not EEG.
    /// </summary>
    public const double MaxMicrovolts = 1e12;

    /// <summary>
    /// Refuses a signal whose physical range cannot be read as float32 values: every digital value the
    /// format can hold must map to a finite float, and a voltage read in microvolts must stay within
    /// <see cref="MaxMicrovolts"/>. Such headers otherwise give infinite or NaN samples.
    /// </summary>
    private void CheckPhysicalRange(EdfSignal sig, double scale)
    {
        bool microvolts = scale != 1.0 || sig.MicrovoltsPerUnit == 1.0;
        double limit = microvolts ? MaxMicrovolts : float.MaxValue;
        string unit = microvolts ? "uV" : $"'{sig.PhysicalDimension}'";
        foreach (var (field, value) in new[] { ("physical minimum", sig.PhysicalMinimum), ("physical maximum", sig.PhysicalMaximum) })
        {
            double scaled = value * scale;
            if (!(Math.Abs(scaled) <= limit))
            {
                throw new EdfFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{SourceName}: field '{field}' of signal {sig.Index + 1} ('{sig.Label}') is {value:R} {sig.PhysicalDimension} ({scaled:G4} {unit}); a value within +-{limit:G3} {unit} was expected (the header is corrupt)."));
            }
        }
        int low = _bytesPerSample == 2 ? short.MinValue : -8388608, high = _bytesPerSample == 2 ? short.MaxValue : 8388607;
        double gain = sig.Gain * scale, offset = sig.Offset * scale;
        foreach (int digital in new[] { low, high })
        {
            double value = digital * gain + offset;
            if (!(Math.Abs(value) <= float.MaxValue))
            {
                throw new EdfFormatException(string.Create(CultureInfo.InvariantCulture,
                    $"{SourceName}: signal {sig.Index + 1} ('{sig.Label}') maps digital {digital} to {value:G4} {unit} (physical {sig.PhysicalMinimum:R} to {sig.PhysicalMaximum:R} for digital {sig.DigitalMinimum} to {sig.DigitalMaximum}), which overflows float32; the header is corrupt."));
            }
        }
    }

    // The decoding loops run a few hundred samples per call, too few for on-stack replacement to
    // leave tier-0 code: optimized from the first call instead. The reading side's other hot loops
    // are marked alike (measured together: the first 239 windows of a process, 0.66 h of 500 Hz
    // EEG with notch + band-pass, read 1.2x faster; the same speed afterwards).

    /// <summary>Float32 microvolts of one signal's bytes of a record: <c>(float)(digital x gain + offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeScaled(ReadOnlySpan<byte> bytes, int bytesPerSample, double gain, double offset, Span<float> destination)
    {
        if (bytesPerSample == 2 && BitConverter.IsLittleEndian)
        {
            ReadOnlySpan<short> digital = MemoryMarshal.Cast<byte, short>(bytes);
            for (int i = 0; i < destination.Length; i++) destination[i] = (float)(digital[i] * gain + offset);
        }
        else
        {
            for (int i = 0; i < destination.Length; i++) destination[i] = (float)(Decode(bytes, i, bytesPerSample) * gain + offset);
        }
    }

    /// <summary>Double microvolts of one signal's bytes of a record: <c>digital x gain + offset</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeScaled(ReadOnlySpan<byte> bytes, int bytesPerSample, double gain, double offset, Span<double> destination)
    {
        if (bytesPerSample == 2 && BitConverter.IsLittleEndian)
        {
            ReadOnlySpan<short> digital = MemoryMarshal.Cast<byte, short>(bytes);
            for (int i = 0; i < destination.Length; i++) destination[i] = digital[i] * gain + offset;
        }
        else
        {
            for (int i = 0; i < destination.Length; i++) destination[i] = Decode(bytes, i, bytesPerSample) * gain + offset;
        }
    }

    private static int Decode(ReadOnlySpan<byte> bytes, int i, int bytesPerSample) => bytesPerSample == 2
        ? BinaryPrimitives.ReadInt16LittleEndian(bytes.Slice(2 * i, 2))
        : (bytes[3 * i] | bytes[3 * i + 1] << 8 | (sbyte)bytes[3 * i + 2] << 16);

    private int Decode(ReadOnlySpan<byte> bytes, int i) => _bytesPerSample == 2
        ? BinaryPrimitives.ReadInt16LittleEndian(bytes.Slice(2 * i, 2))
        : (bytes[3 * i] | bytes[3 * i + 1] << 8 | (sbyte)bytes[3 * i + 2] << 16);

    private delegate void ChunkAction(ReadOnlySpan<byte> bytes, int destinationIndex);

    private delegate void SignalChunkAction(int signalSlot, ReadOnlySpan<byte> bytes, int destinationIndex);

    /// <summary>Calls <paramref name="action"/> for each record of the range and each signal (all of one samples-per-record), records in order.</summary>
    private void ForEachRecord(IReadOnlyList<int> signals, long firstSample, int count, SignalChunkAction action)
    {
        if (signals.Count == 0) return;
        int spr = Signals[signals[0]].SamplesPerRecord;
        foreach (int s in signals)
        {
            if (Signals[s].SamplesPerRecord != spr)
                throw new ArgumentException($"Signals of different rates requested together: '{Signals[s].Label}' has {Signals[s].SamplesPerRecord} samples per record, the first one {spr}.", nameof(signals));
        }
        int done = 0;
        while (done < count)
        {
            long sample = firstSample + done;
            long record = sample / spr;
            int within = (int)(sample - record * spr);
            int n = Math.Min(spr - within, count - done);
            ReadOnlySpan<byte> rec = LoadRecord(record);
            for (int k = 0; k < signals.Count; k++)
                action(k, rec.Slice(_signalByteOffsets[signals[k]] + within * _bytesPerSample, n * _bytesPerSample), done);
            done += n;
        }
    }

    /// <summary><see cref="ForEachRecord"/> for one signal.</summary>
    private void ForEachChunk(int signal, long firstSample, int count, ChunkAction action) =>
        ForEachRecord([signal], firstSample, count, (_, bytes, at) => action(bytes, at));

    private ReadOnlySpan<byte> LoadRecord(long record)
    {
        if (_bufferedRecord != record)
        {
            if (_recordBuffer.Length != _recordBytes) _recordBuffer = new byte[_recordBytes];
            _stream.Position = Header.HeaderBytes + record * _recordBytes;
            _stream.ReadExactly(_recordBuffer, 0, _recordBytes);
            _bufferedRecord = record;
        }
        return _recordBuffer;
    }

    private EdfSignal CheckSignal(int signal)
    {
        if ((uint)signal >= (uint)Signals.Count)
            throw new ArgumentOutOfRangeException(nameof(signal), $"signal is {signal}; {SourceName} has signals 0 to {Signals.Count - 1}.");
        return Signals[signal];
    }

    private void CheckRange(int signal, long firstSample, int count)
    {
        EdfSignal sig = CheckSignal(signal);
        if (sig.IsAnnotation)
            throw new ArgumentException($"Signal {signal} ('{sig.Label}') is an annotation signal and holds text, not samples; use Annotations.", nameof(signal));
        long total = SampleCount(signal);
        if (firstSample < 0 || count < 0 || firstSample + count > total)
            throw new ArgumentOutOfRangeException(nameof(firstSample),
                $"Samples {firstSample} to {firstSample + count} were requested from signal '{sig.Label}', which has {total} samples.");
    }

    private void EnsureAnnotations()
    {
        if (_annotations is not null) return;
        var annotations = new List<EdfAnnotation>();
        long n = Header.NumberOfRecords;
        var onsets = new double[n];
        int[] annotationSignals = Signals.Where(s => s.IsAnnotation).Select(s => s.Index).ToArray();
        for (long r = 0; r < n; r++)
        {
            double? onset = null;
            for (int k = 0; k < annotationSignals.Length; k++)
            {
                int s = annotationSignals[k];
                ReadOnlySpan<byte> rec = LoadRecord(r);
                ReadOnlySpan<byte> bytes = rec.Slice(_signalByteOffsets[s], Signals[s].SamplesPerRecord * _bytesPerSample);
                TalParser.Parse(bytes, r, SourceName, annotations, out double? stamp);
                if (k == 0) onset = stamp;
            }
            if (annotationSignals.Length > 0 && onset is null)
                throw new EdfFormatException(
                    $"{SourceName}: data record {r} has no time-keeping annotation (a first TAL '+onset\\x14\\x14'), which EDF+/BDF+ requires.");
            onsets[r] = onset ?? r * Header.RecordDurationSeconds;
        }

        var gaps = new List<EdfGap>();
        double d = Header.RecordDurationSeconds;
        for (long r = 1; r < n; r++)
        {
            double expected = onsets[r - 1] + d;
            double tolerance = 1e-6 + 1e-9 * Math.Abs(expected);
            if (onsets[r] > expected + tolerance)
            {
                if (!Header.IsDiscontinuous)
                    throw new EdfFormatException(
                        $"{SourceName}: data record {r} starts at {onsets[r]} s but the previous one ends at {expected} s; a gap is only allowed in EDF+D/BDF+D files and this one is {Header.FileType}.");
                gaps.Add(new EdfGap(r - 1, expected, onsets[r] - expected));
            }
            else if (onsets[r] < expected - tolerance)
            {
                throw new EdfFormatException(
                    $"{SourceName}: data record {r} starts at {onsets[r]} s, before the previous record ends ({expected} s); records must not overlap.");
            }
        }
        _recordOnsets = onsets;
        _gaps = gaps;
        _annotations = annotations;
    }
}

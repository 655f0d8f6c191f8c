using System.Runtime.CompilerServices;
namespace EegDino.ML.Eeg;

/// <summary>How <see cref="EegWindower"/> places windows.</summary>
public enum EegWindowMode
{
    /// <summary>Windows of <see cref="EegWindowOptions.WindowSeconds"/> every <see cref="EegWindowOptions.StrideSeconds"/> from the start.</summary>
    Fixed,
    /// <summary>Windows starting at EDF+ annotations (optionally only some texts), labelled with the annotation text.</summary>
    Annotations,
}

/// <summary>Options of <see cref="EegWindower"/>: window placement, output rate and quality flags.</summary>
public sealed class EegWindowOptions
{
    /// <summary>Window length in seconds (default 10 s: 10 patches of 200 samples at 200 Hz).</summary>
    public double WindowSeconds { get; set; } = 10;

    /// <summary>Step between window starts in seconds (default 10 s: adjacent windows, no overlap).</summary>
    public double StrideSeconds { get; set; } = 10;

    /// <summary>Fixed windows (default) or windows at annotations.</summary>
    public EegWindowMode Mode { get; set; } = EegWindowMode.Fixed;

    /// <summary>
    /// In <see cref="EegWindowMode.Annotations"/> mode, the annotation texts that start windows
    /// (compared case-insensitively after trimming); null or empty for all annotations.
    /// </summary>
    public IReadOnlyCollection<string>? AnnotationLabels { get; set; }

    /// <summary>
    /// In <see cref="EegWindowMode.Annotations"/> mode, offset of the first window from the
    /// annotation onset in seconds (default 0). An annotation longer than a window gets further
    /// windows every <see cref="StrideSeconds"/> while they end within the annotation.
    /// </summary>
    public double AnnotationOffsetSeconds { get; set; }

    /// <summary>Output rate in Hz (default 200, the model's); null keeps the file's own rate.</summary>
    public double? TargetSamplesPerSecond { get; set; } = 200;

    /// <summary>Anti-aliasing filter options of the resampler.</summary>
    public ResamplerOptions Resampler { get; set; } = new();

    /// <summary>A channel whose peak-to-peak amplitude in a window is below this many microvolts is flagged flat (default 0.5).</summary>
    public double FlatPeakToPeakMicrovolts { get; set; } = 0.5;

    /// <summary>
    /// A channel with at least this fraction of its samples in a window at the digital minimum or
    /// maximum (before resampling) is flagged saturated (default 0.01).
    /// </summary>
    public double SaturatedFraction { get; set; } = 0.01;
}

/// <summary>One model input cut from a recording, with its position, label and quality flags.</summary>
public sealed class EegWindow
{
    internal EegWindow(string recording, double startSeconds, long startSample, double samplesPerSecond,
        IReadOnlyList<string> channels, int numberOfSamples, float[] signal, string? label,
        bool crossesGap, IReadOnlyList<string> flatChannels, IReadOnlyList<string> saturatedChannels)
    {
        Recording = recording;
        StartSeconds = startSeconds;
        StartSample = startSample;
        SamplesPerSecond = samplesPerSecond;
        Channels = channels;
        NumberOfSamples = numberOfSamples;
        Signal = signal;
        Label = label;
        CrossesGap = crossesGap;
        FlatChannels = flatChannels;
        SaturatedChannels = saturatedChannels;
    }

    /// <summary>The recording's name (file name).</summary>
    public string Recording { get; }

    /// <summary>Start of the window in recording time (seconds from the start of the recording, gaps counted).</summary>
    public double StartSeconds { get; }

    /// <summary>Index of the window's first sample among the recording's stored samples at <see cref="SamplesPerSecond"/>.</summary>
    public long StartSample { get; }

    /// <summary>Sampling rate of <see cref="Signal"/> in Hz.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>Electrode of each channel, in order (see <see cref="MontageMapping.Channels"/>).</summary>
    public IReadOnlyList<string> Channels { get; }

    /// <summary>Samples per channel.</summary>
    public int NumberOfSamples { get; }

    /// <summary>The signal in microvolts, channel-major: channel 0's samples, then channel 1's, ... (<c>[C, T]</c>).</summary>
    public float[] Signal { get; }

    /// <summary>The annotation text for annotation windows; null for fixed windows.</summary>
    public string? Label { get; }

    /// <summary>True if the window spans a gap of an EDF+D/BDF+D file (its samples are not contiguous in time).</summary>
    public bool CrossesGap { get; }

    /// <summary>Channels whose peak-to-peak amplitude is below <see cref="EegWindowOptions.FlatPeakToPeakMicrovolts"/>.</summary>
    public IReadOnlyList<string> FlatChannels { get; }

    /// <summary>Channels with at least <see cref="EegWindowOptions.SaturatedFraction"/> of samples at the digital limits.</summary>
    public IReadOnlyList<string> SaturatedChannels { get; }

    /// <summary>True if the window crosses a gap or has a flat or saturated channel.</summary>
    public bool IsFlagged => CrossesGap || FlatChannels.Count > 0 || SaturatedChannels.Count > 0;
}

/// <summary>
/// Cuts a recording into model inputs: reads only the samples each window needs (plus the
/// resampling filter's margin), converts to microvolts, optionally re-references and filters them
/// at the file's rate (<see cref="EegFilterOptions"/>), resamples to the target rate, and flags
/// windows that cross a gap or hold flat or saturated channels. Only whole windows are produced.
/// </summary>
public sealed class EegWindower
{
    private readonly EegWindowOptions _options;

    /// <summary>Creates a windower.</summary>
    /// <param name="options">Window options; null for the defaults (10 s windows, 10 s stride, 200 Hz).</param>
    public EegWindower(EegWindowOptions? options = null)
    {
        _options = options ?? new EegWindowOptions();
        if (!(_options.WindowSeconds > 0) || double.IsInfinity(_options.WindowSeconds))
            throw new ArgumentOutOfRangeException(nameof(options), $"WindowSeconds is {_options.WindowSeconds}; a positive number of seconds was expected.");
        if (!(_options.StrideSeconds > 0) || double.IsInfinity(_options.StrideSeconds))
            throw new ArgumentOutOfRangeException(nameof(options), $"StrideSeconds is {_options.StrideSeconds}; a positive number of seconds was expected.");
        if (_options.TargetSamplesPerSecond is { } r && (!(r > 0) || double.IsInfinity(r)))
            throw new ArgumentOutOfRangeException(nameof(options), $"TargetSamplesPerSecond is {r}; a positive rate or null was expected.");
        if (_options.TargetSamplesPerSecond is { } rate) CheckWindowSamples(rate);
    }

    /// <summary>The most samples one window may have: 2^24 (23 h at 200 Hz), so that windows of any channel count fit a vector.</summary>
    public const int MaxSamplesPerWindow = 1 << 24;

    /// <summary>Refuses a window length that gives no sample, or more than <see cref="MaxSamplesPerWindow"/>, at <paramref name="rate"/>.</summary>
    internal void CheckWindowSamples(double rate)
    {
        double samples = Math.Round(_options.WindowSeconds * rate, MidpointRounding.AwayFromZero);
        if (samples < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(EegWindowOptions.WindowSeconds), string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"WindowSeconds is {_options.WindowSeconds:R}, which is {samples} samples at {rate:0.###} Hz; at least one sample ({1 / rate:G3} s) is needed (EEG-DINO reads 1-s patches: 1 s or more is typical)."));
        }
        if (samples > MaxSamplesPerWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(EegWindowOptions.WindowSeconds), string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"WindowSeconds is {_options.WindowSeconds:R}, which is {samples:G4} samples at {rate:0.###} Hz; at most {MaxSamplesPerWindow} samples ({MaxSamplesPerWindow / rate / 3600:0.#} h) per window are supported."));
        }
    }

    /// <summary>The options in use.</summary>
    public EegWindowOptions Options => _options;

    /// <summary>Output rate for a recording whose mapped channels are sampled at <paramref name="fileSamplesPerSecond"/>.</summary>
    /// <param name="fileSamplesPerSecond">The file's rate of the mapped channels.</param>
    /// <returns>The target rate, or the file's rate when no target is set.</returns>
    public double OutputSamplesPerSecond(double fileSamplesPerSecond) => _options.TargetSamplesPerSecond ?? fileSamplesPerSecond;

    /// <summary>Samples per window at a given output rate: round(WindowSeconds x rate).</summary>
    /// <param name="outputSamplesPerSecond">Output rate in Hz.</param>
    /// <returns>The window length in samples.</returns>
    public int SamplesPerWindow(double outputSamplesPerSecond) => (int)Math.Round(_options.WindowSeconds * outputSamplesPerSecond, MidpointRounding.AwayFromZero);

    /// <summary>Cuts windows lazily, in time order; each window is read from the file when enumerated.</summary>
    /// <param name="reader">An open recording.</param>
    /// <param name="mapping">Its montage mapping (from <see cref="MontageMapper.Map"/>).</param>
    /// <returns>The windows.</returns>
    /// <exception cref="EdfFormatException">Mapped channels have different rates or a non-voltage unit.</exception>
    public IEnumerable<EegWindow> GetWindows(EdfReader reader, MontageMapping mapping) => GetWindows(reader, mapping, EegFilterOptions.None);

    /// <summary>
    /// Cuts windows lazily, in time order, from the recording conditioned by <paramref name="filters"/>
    /// at its own rate (re-referencing, notch, band-stop, pass filters), before resampling. The filters
    /// are designed when this is called; samples are read and filtered as windows are enumerated.
    /// </summary>
    /// <param name="reader">An open recording.</param>
    /// <param name="mapping">Its montage mapping (from <see cref="MontageMapper.Map"/>).</param>
    /// <param name="filters">Reference and filters; <see cref="EegFilterOptions.None"/> for the signal as recorded.</param>
    /// <returns>The windows.</returns>
    /// <exception cref="EdfFormatException">Mapped channels have different rates or a non-voltage unit.</exception>
    /// <exception cref="EegFilterException">The filters or the reference cannot be applied to this recording.</exception>
    /// <exception cref="ArgumentException">The filter options contradict each other.</exception>
    public IEnumerable<EegWindow> GetWindows(EdfReader reader, MontageMapping mapping, EegFilterOptions filters)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(filters);
        var plan = new RecordingPlan(reader, mapping, this, filters);
        return plan.Starts().Select(s => plan.Cut(s.Start, s.Label));
    }

    /// <summary>Per-recording state: the resampler, signal lengths and window starts.</summary>
    private sealed class RecordingPlan
    {
        private readonly EdfReader _reader;
        private readonly MontageMapping _mapping;
        private readonly EegWindowOptions _o;
        private readonly EegResampler? _resampler;
        private readonly ConditionedRecording? _conditioned; // null: the samples as recorded
        private readonly int[] _sources;
        private readonly EdfSignal _first;
        private readonly long _inputLength, _outputLength;
        private readonly double _inRate, _outRate;
        private readonly int _windowSamples;
        private readonly double[] _railLow, _railHigh;

        internal RecordingPlan(EdfReader reader, MontageMapping mapping, EegWindower windower, EegFilterOptions filters)
        {
            _reader = reader;
            _mapping = mapping;
            _o = windower._options;
            _sources = mapping.SourceIndexes.ToArray();
            _first = reader.Signals[_sources[0]];
            foreach (int s in _sources)
            {
                EdfSignal sig = reader.Signals[s];
                if (sig.SamplesPerRecord != _first.SamplesPerRecord)
                    throw new EdfFormatException(
                        $"{reader.SourceName}: mapped channels have different rates: '{_first.Label}' {_first.SamplesPerSecond} Hz, '{sig.Label}' {sig.SamplesPerSecond} Hz.");
                if (sig.MicrovoltsPerUnit is null)
                    throw new EdfFormatException(
                        $"{reader.SourceName}: mapped signal '{sig.Label}' has physical dimension '{sig.PhysicalDimension}', which is not a voltage (uV, mV, V or nV).");
            }
            _inRate = _first.SamplesPerSecond;
            if (!(_inRate > 0))
                throw new EdfFormatException($"{reader.SourceName}: the record duration is {reader.Header.RecordDurationSeconds} s, so signal '{_first.Label}' has no sampling rate.");
            _outRate = windower.OutputSamplesPerSecond(_inRate);
            _inputLength = reader.SampleCount(_sources[0]);
            if (!filters.IsEmpty) _conditioned = ConditionedRecording.Create(reader, mapping, filters);
            if (Math.Abs(_outRate - _inRate) > 1e-9 * _inRate)
            {
                _resampler = new EegResampler(_inRate, _outRate, _o.Resampler);
                _outputLength = _resampler.OutputLength(_inputLength);
            }
            else
            {
                _outputLength = _inputLength;
            }
            windower.CheckWindowSamples(_outRate);
            _windowSamples = windower.SamplesPerWindow(_outRate);
            // Digital limits in microvolts, half a step inside, for the saturation test.
            _railLow = new double[_sources.Length];
            _railHigh = new double[_sources.Length];
            for (int c = 0; c < _sources.Length; c++)
            {
                EdfSignal sig = reader.Signals[_sources[c]];
                double scale = sig.MicrovoltsPerUnit!.Value;
                double a = (sig.DigitalMinimum * sig.Gain + sig.Offset) * scale, b = (sig.DigitalMaximum * sig.Gain + sig.Offset) * scale;
                double halfStep = Math.Abs(sig.Gain * scale) / 2;
                _railLow[c] = Math.Min(a, b) + halfStep;
                _railHigh[c] = Math.Max(a, b) - halfStep;
            }
        }

        internal IEnumerable<(long Start, string? Label)> Starts()
        {
            if (_windowSamples < 1) yield break;
            if (_o.Mode == EegWindowMode.Fixed)
            {
                long stride = Math.Max(1, (long)Math.Round(_o.StrideSeconds * _outRate, MidpointRounding.AwayFromZero));
                for (long s = 0; s + _windowSamples <= _outputLength; s += stride) yield return (s, null);
                yield break;
            }
            var wanted = _o.AnnotationLabels is { Count: > 0 }
                ? new HashSet<string>(_o.AnnotationLabels.Select(l => l.Trim()), StringComparer.OrdinalIgnoreCase) : null;
            IReadOnlyList<double> onsets = _reader.RecordOnsetsSeconds;
            double recordSeconds = _reader.Header.RecordDurationSeconds;
            foreach (EdfAnnotation a in _reader.Annotations)
            {
                string text = a.Text.Trim();
                if (wanted is not null && !wanted.Contains(text)) continue;
                double first = a.OnsetSeconds + _o.AnnotationOffsetSeconds;
                double end = a.OnsetSeconds + Math.Max(a.DurationSeconds, _o.AnnotationOffsetSeconds + _o.WindowSeconds);
                for (double t = first; t + _o.WindowSeconds <= end + 1e-9; t += _o.StrideSeconds)
                {
                    // Recording time -> stored input sample -> output sample; skip times in a gap.
                    int r = UpperBound(onsets, t) - 1;
                    if (r < 0 || t >= onsets[r] + recordSeconds) continue;
                    double inputPos = r * (double)_first.SamplesPerRecord + (t - onsets[r]) * _inRate;
                    long start = (long)Math.Round(inputPos * _outRate / _inRate, MidpointRounding.AwayFromZero);
                    if (start >= 0 && start + _windowSamples <= _outputLength) yield return (start, text);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
        internal EegWindow Cut(long start, string? label)
        {
            int channels = _sources.Length, n = _windowSamples;
            var signal = new float[channels * n];
            long inStart, inEnd;
            if (_resampler is null) { inStart = start; inEnd = start + n; }
            else (inStart, inEnd) = _resampler.InputRange(start, n, _inputLength);
            int inCount = checked((int)(inEnd - inStart));
            float[][] raw = _conditioned?.ReadMicrovolts(inStart, inCount) ?? _reader.ReadMicrovolts(_sources, inStart, inCount);

            // The part of the input this window covers (not the filter margin), for saturation and gaps.
            long coreStart = _resampler is null ? start : Math.Clamp((long)Math.Floor(start * _inRate / _outRate), 0, _inputLength - 1);
            long coreEnd = _resampler is null ? start + n : Math.Clamp((long)Math.Ceiling((start + n) * _inRate / _outRate), coreStart + 1, _inputLength);
            // Saturation is a property of the recorded samples, not of the filtered ones.
            long railStart = _conditioned is null ? inStart : coreStart;
            float[][] rails = _conditioned is null ? raw : _reader.ReadMicrovolts(_sources, coreStart, checked((int)(coreEnd - coreStart)));
            var flat = new List<string>();
            var saturated = new List<string>();
            for (int c = 0; c < channels; c++)
            {
                Span<float> dest = signal.AsSpan(c * n, n);
                if (_resampler is null) raw[c].CopyTo(dest);
                else _resampler.Resample(raw[c], inStart, _inputLength, start, dest);

                float min = float.PositiveInfinity, max = float.NegativeInfinity;
                foreach (float v in dest) { if (v < min) min = v; if (v > max) max = v; }
                if (max - min < _o.FlatPeakToPeakMicrovolts) flat.Add(_mapping.Channels[c]);
                int atRail = 0;
                for (long i = coreStart; i < coreEnd; i++)
                {
                    float v = rails[c][i - railStart];
                    if (v <= _railLow[c] || v >= _railHigh[c]) atRail++;
                }
                if (atRail > 0 && atRail >= _o.SaturatedFraction * (coreEnd - coreStart)) saturated.Add(_mapping.Channels[c]);
            }

            int spr = _first.SamplesPerRecord;
            long firstRecord = coreStart / spr, lastRecord = (coreEnd - 1) / spr;
            bool gap = _reader.Gaps.Any(g => g.AfterRecord >= firstRecord && g.AfterRecord < lastRecord);
            double inputPos = start * _inRate / _outRate;
            long inputIndex = (long)Math.Floor(inputPos);
            double startSeconds = _reader.TimeOfSample(_sources[0], inputIndex) + (inputPos - inputIndex) / _inRate;
            return new EegWindow(_reader.SourceName, startSeconds, start, _outRate, _mapping.Channels, n, signal, label, gap, flat, saturated);
        }

        private static int UpperBound(IReadOnlyList<double> sorted, double value)
        {
            int lo = 0, hi = sorted.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                if (sorted[mid] <= value) lo = mid + 1; else hi = mid;
            }
            return lo;
        }
    }
}

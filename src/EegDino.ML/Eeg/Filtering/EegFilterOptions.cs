using System.Globalization;

namespace EegDino.ML.Eeg;

/// <summary>
/// The conditioning of a recording at its own sampling rate, after reading and before resampling,
/// with MNE-Python's defaults: re-referencing (<see cref="Reference"/>), then a notch
/// (<c>raw.notch_filter(freqs)</c>), then a band-stop, then a high-, low- or band-pass
/// (<c>raw.filter(l_freq, h_freq)</c>). Each filter is MNE's FIR design (<c>fir_design='firwin'</c>,
/// Hamming window, <c>phase='zero'</c>, <c>filter_length='auto'</c>, transition bandwidths
/// <c>'auto'</c> unless given, <c>pad='reflect_limited'</c>) and gives MNE's output to float
/// rounding. Each contiguous part of an EDF+D/BDF+D file is filtered on its own, as MNE filters the
/// parts between <c>edge</c> annotations.
/// </summary>
/// <remarks>
/// <para>Immutable, with value equality and an invariant text form (<see cref="ToString"/>,
/// <see cref="Parse"/>), so that it can be stored with a model or in a run's settings. The notch
/// frequencies are kept sorted, without duplicates.</para>
/// <para>Values are checked when set (positive, finite) and again, against each recording's
/// sampling rate and length, when a recording is read: see <see cref="EegFilterException"/>.</para>
/// </remarks>
public sealed class EegFilterOptions : IEquatable<EegFilterOptions>
{
    private readonly double? _lFreq, _hFreq, _lTrans, _hTrans;
    private readonly double[] _notch = [];
    private readonly EegReference _reference;

    /// <summary>No conditioning: the signal as recorded.</summary>
    public static EegFilterOptions None { get; } = new();

    /// <summary>The re-referencing, applied first (default <see cref="EegReference.AsRecorded"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not an <see cref="EegReference"/> value.</exception>
    public EegReference Reference
    {
        get => _reference;
        init => _reference = Enum.IsDefined(value) ? value
            : throw new ArgumentOutOfRangeException(nameof(Reference), $"Reference is {(int)value}, which is not an EegReference value.");
    }

    /// <summary>
    /// MNE's <c>l_freq</c>: the high-pass's pass-band edge in Hz, null for no high-pass. With the
    /// automatic transition bandwidth <c>min(max(l_freq / 4, 2), l_freq)</c> the -6 dB point lies half
    /// a transition below it (0.25 Hz for <c>l_freq</c> 0.5) and the filter has
    /// <c>3.3 / transition x rate</c> taps (made odd): 6.6 s for 0.5 Hz.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a positive finite number.</exception>
    public double? LowFrequencyHz
    {
        get => _lFreq;
        init => _lFreq = CheckOptional(value, nameof(LowFrequencyHz), "l_freq");
    }

    /// <summary>
    /// MNE's <c>h_freq</c>: the low-pass's pass-band edge in Hz, below the Nyquist frequency of every
    /// recording; null for no low-pass. The automatic transition bandwidth is
    /// <c>min(max(h_freq / 4, 2), Nyquist - h_freq)</c>, the -6 dB point half of it above
    /// (45 Hz for <c>h_freq</c> 40). With <see cref="LowFrequencyHz"/>, the two make one band-pass and
    /// <c>l_freq</c> must be below <c>h_freq</c> (MNE's band-stop form is <see cref="BandStop"/> here).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a positive finite number.</exception>
    public double? HighFrequencyHz
    {
        get => _hFreq;
        init => _hFreq = CheckOptional(value, nameof(HighFrequencyHz), "h_freq");
    }

    /// <summary>MNE's <c>l_trans_bandwidth</c> in Hz; null (default) for MNE's <c>'auto'</c>. The filter length follows from the narrower transition.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a positive finite number.</exception>
    public double? LowTransitionBandwidthHz
    {
        get => _lTrans;
        init => _lTrans = CheckOptional(value, nameof(LowTransitionBandwidthHz), "l_trans_bandwidth");
    }

    /// <summary>MNE's <c>h_trans_bandwidth</c> in Hz; null (default) for MNE's <c>'auto'</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a positive finite number.</exception>
    public double? HighTransitionBandwidthHz
    {
        get => _hTrans;
        init => _hTrans = CheckOptional(value, nameof(HighTransitionBandwidthHz), "h_trans_bandwidth");
    }

    /// <summary>
    /// Frequencies in Hz of the notch filter, MNE's <c>raw.notch_filter(freqs)</c> with its defaults:
    /// a stop band of <c>freq / 200</c> Hz around each, 1 Hz transitions (0.5 Hz each side), so the
    /// filter has <c>6.6 x rate</c> taps. Empty (default) for none. Stored sorted, without duplicates.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A frequency is not a positive finite number.</exception>
    public IReadOnlyList<double> NotchFrequenciesHz
    {
        get => _notch;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (double f in value) CheckFrequency(f, nameof(NotchFrequenciesHz), "a notch frequency");
            _notch = value.Distinct().Order().ToArray();
        }
    }

    /// <summary>
    /// True to notch every multiple of each <see cref="NotchFrequenciesHz"/> whose stop band and
    /// transitions (up to <c>k f + k f / 400 + 0.5</c> Hz) lie below the recording's Nyquist frequency:
    /// 50, 100, 150 and 200 Hz for 50 Hz at 500 Hz, as <c>raw.notch_filter(np.arange(50, 250, 50))</c>.
    /// </summary>
    public bool NotchHarmonics { get; init; }

    /// <summary>A band-stop filter, MNE's <c>raw.filter(l_freq, h_freq)</c> with <c>l_freq &gt; h_freq</c>; null (default) for none.</summary>
    public EegBandStop? BandStop { get; init; }

    /// <summary>True if nothing is applied (no reference change, no filter).</summary>
    public bool IsEmpty => Reference == EegReference.AsRecorded && !HasFilters;

    /// <summary>True if a filter (pass, notch or band-stop) is set.</summary>
    internal bool HasFilters => _lFreq is not null || _hFreq is not null || _notch.Length > 0 || BandStop is not null;

    /// <summary>
    /// The invariant text form: <c>none</c>, or <c>key=value</c> pairs separated by spaces in this
    /// order, defaults left out: <c>reference=average|montage_average|linked_ears</c>,
    /// <c>l_freq=0.5</c>, <c>h_freq=40</c>, <c>l_trans_bandwidth=0.5</c>, <c>h_trans_bandwidth=10</c>,
    /// <c>notch=50,100</c>, <c>notch_harmonics=true</c>, <c>bandstop=6:15</c>. Numbers are written
    /// so that <see cref="Parse"/> gives back equal options.
    /// </summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (IsEmpty) return "none";
        var parts = new List<string>();
        if (Reference != EegReference.AsRecorded) parts.Add("reference=" + ReferenceText(Reference));
        if (_lFreq is { } l) parts.Add("l_freq=" + Number(l));
        if (_hFreq is { } h) parts.Add("h_freq=" + Number(h));
        if (_lTrans is { } lt) parts.Add("l_trans_bandwidth=" + Number(lt));
        if (_hTrans is { } ht) parts.Add("h_trans_bandwidth=" + Number(ht));
        if (_notch.Length > 0) parts.Add("notch=" + string.Join(',', _notch.Select(Number)));
        if (NotchHarmonics) parts.Add("notch_harmonics=true");
        if (BandStop is not null) parts.Add("bandstop=" + BandStop);
        return string.Join(' ', parts);
    }

    /// <summary>Reads the text form written by <see cref="ToString"/> (keys in any order).</summary>
    /// <param name="text">The text, e.g. <c>reference=average l_freq=0.5 h_freq=40 notch=50</c>, or <c>none</c>.</param>
    /// <returns>The options.</returns>
    /// <exception cref="FormatException">An unknown or repeated key, or a value that is not valid, named in the message.</exception>
    public static EegFilterOptions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed == "none") return None;
        EegReference reference = EegReference.AsRecorded;
        double? l = null, h = null, lt = null, ht = null;
        double[] notch = [];
        bool harmonics = false;
        EegBandStop? bandStop = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string token in trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException($"'{token}' in filter options '{text}' is not key=value.");
            string key = token[..eq], value = token[(eq + 1)..];
            if (!seen.Add(key)) throw new FormatException($"Filter options '{text}' give '{key}' twice.");
            try
            {
                switch (key)
                {
                    case "reference": reference = ParseReference(value); break;
                    case "l_freq": l = ParseNumber(value); break;
                    case "h_freq": h = ParseNumber(value); break;
                    case "l_trans_bandwidth": lt = ParseNumber(value); break;
                    case "h_trans_bandwidth": ht = ParseNumber(value); break;
                    case "notch": notch = value.Split(',').Select(ParseNumber).ToArray(); break;
                    case "notch_harmonics": harmonics = ParseBool(value); break;
                    case "bandstop":
                        string[] edges = value.Split(':');
                        if (edges.Length != 2) throw new FormatException($"'{value}' is not LOW:HIGH.");
                        bandStop = new EegBandStop(ParseNumber(edges[0]), ParseNumber(edges[1]));
                        break;
                    default:
                        throw new FormatException(
                            "the known keys are reference, l_freq, h_freq, l_trans_bandwidth, h_trans_bandwidth, notch, notch_harmonics and bandstop.");
                }
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new FormatException($"'{token}' in filter options '{text}': {e.Message}", e);
            }
        }
        try
        {
            return new EegFilterOptions
            {
                Reference = reference, LowFrequencyHz = l, HighFrequencyHz = h, LowTransitionBandwidthHz = lt,
                HighTransitionBandwidthHz = ht, NotchFrequenciesHz = notch, NotchHarmonics = harmonics, BandStop = bandStop,
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Filter options '{text}': {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public bool Equals(EegFilterOptions? other) =>
        other is not null && Reference == other.Reference && _lFreq == other._lFreq && _hFreq == other._hFreq
        && _lTrans == other._lTrans && _hTrans == other._hTrans && _notch.AsSpan().SequenceEqual(other._notch)
        && NotchHarmonics == other.NotchHarmonics && Equals(BandStop, other.BandStop);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EegFilterOptions);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Reference);
        hash.Add(_lFreq);
        hash.Add(_hFreq);
        hash.Add(_lTrans);
        hash.Add(_hTrans);
        foreach (double f in _notch) hash.Add(f);
        hash.Add(NotchHarmonics);
        hash.Add(BandStop);
        return hash.ToHashCode();
    }

    /// <summary>
    /// Checks what can be checked without a recording: the pass band's order and transition
    /// bandwidths given without their frequency.
    /// </summary>
    /// <exception cref="ArgumentException">The options contradict each other; the message names the values.</exception>
    public void Validate()
    {
        if (_lFreq is { } l && _hFreq is { } h && !(l < h))
            throw new ArgumentException(
                $"LowFrequencyHz (l_freq) is {Number(l)} Hz and HighFrequencyHz (h_freq) {Number(h)} Hz; a band-pass needs l_freq below h_freq (for a band-stop set BandStop).");
        if (_lTrans is not null && _lFreq is null)
            throw new ArgumentException($"LowTransitionBandwidthHz (l_trans_bandwidth) is {Number(_lTrans.Value)} Hz but LowFrequencyHz (l_freq) is not set.");
        if (_hTrans is not null && _hFreq is null)
            throw new ArgumentException($"HighTransitionBandwidthHz (h_trans_bandwidth) is {Number(_hTrans.Value)} Hz but HighFrequencyHz (h_freq) is not set.");
        if (NotchHarmonics && _notch.Length == 0)
            throw new ArgumentException("NotchHarmonics is set but NotchFrequenciesHz is empty.");
    }

    /// <summary>Checks a frequency in Hz: positive and finite.</summary>
    internal static void CheckFrequency(double hz, string parameter, string what)
    {
        if (!(hz > 0) || double.IsInfinity(hz))
            throw new ArgumentOutOfRangeException(parameter, $"{what} is {Number(hz)} Hz; a positive, finite frequency in Hz was expected.");
    }

    private static double? CheckOptional(double? hz, string property, string mneName)
    {
        if (hz is { } v) CheckFrequency(v, property, $"{property} (MNE's {mneName})");
        return hz;
    }

    /// <summary>Invariant round-trip text of a number.</summary>
    internal static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static double ParseNumber(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v : throw new FormatException($"'{s}' is not a number.");

    private static bool ParseBool(string s) => s switch
    {
        "true" => true,
        "false" => false,
        _ => throw new FormatException($"'{s}' is not true or false."),
    };

    private static string ReferenceText(EegReference r) => r switch
    {
        EegReference.AsRecorded => "as_recorded",
        EegReference.Average => "average",
        EegReference.MontageAverage => "montage_average",
        EegReference.LinkedEars => "linked_ears",
        _ => throw new ArgumentOutOfRangeException(nameof(r), $"Reference is {r}, which is not an EegReference value."),
    };

    private static EegReference ParseReference(string s)
    {
        foreach (EegReference r in Enum.GetValues<EegReference>())
            if (ReferenceText(r) == s) return r;
        throw new FormatException($"'{s}' is not as_recorded, average, montage_average or linked_ears.");
    }
}

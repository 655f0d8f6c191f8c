using System.Globalization;

namespace EegDino.ML.Eeg;

/// <summary>
/// One zero-phase FIR filter designed by MNE-Python's rules (<c>mne.filter.create_filter</c> with
/// <c>method='fir'</c>, <c>fir_design='firwin'</c>, <c>fir_window='hamming'</c>, <c>phase='zero'</c>,
/// <c>filter_length='auto'</c>): the transition bandwidths, the length, the gain control points and
/// the coefficients, which equal MNE's to float rounding. The arithmetic follows MNE's own order of
/// operations, so lengths that hinge on a rounding (<c>ceil</c>, <c>round</c>) come out the same.
/// </summary>
internal sealed class FirFilterDesign
{
    /// <summary>MNE's <c>_length_factors['hamming']</c>: taps per (sampling rate / transition bandwidth).</summary>
    private const double HammingLengthFactor = 3.3;

    /// <summary>Longest filter built (4,194,304 taps: a 0.001 Hz transition at 1 kHz), so that a tiny transition cannot exhaust memory.</summary>
    internal const int MaxTaps = 1 << 22;

    private FirFilterDesign(double samplesPerSecond, string description, double[] controlHz, double[] controlGain, double[] kernel)
    {
        SamplesPerSecond = samplesPerSecond;
        Description = description;
        ControlHz = controlHz;
        ControlGain = controlGain;
        Kernel = kernel;
    }

    /// <summary>The rate the filter was designed for, in Hz.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>What the filter is, for messages and reports (e.g. <c>band-pass l_freq 0.5 Hz, h_freq 40 Hz</c>).</summary>
    public string Description { get; }

    /// <summary>MNE's gain control points in Hz, from 0 to the Nyquist frequency.</summary>
    public IReadOnlyList<double> ControlHz { get; }

    /// <summary>The gain (0 or 1) at each of <see cref="ControlHz"/>.</summary>
    public IReadOnlyList<double> ControlGain { get; }

    /// <summary>The coefficients: odd length, symmetric, centred on <see cref="HalfLength"/>.</summary>
    public double[] Kernel { get; }

    /// <summary>Number of taps.</summary>
    public int Length => Kernel.Length;

    /// <summary>Taps on each side of the centre: the filter's reach in samples.</summary>
    public int HalfLength => (Kernel.Length - 1) / 2;

    /// <summary>
    /// A high-pass (<paramref name="lFreq"/> only), low-pass (<paramref name="hFreq"/> only) or
    /// band-pass (both), as MNE's <c>raw.filter(l_freq, h_freq)</c>.
    /// </summary>
    /// <param name="samplesPerSecond">The recording's rate in Hz.</param>
    /// <param name="lFreq">Pass-band lower edge (MNE's l_freq) or null.</param>
    /// <param name="hFreq">Pass-band upper edge (MNE's h_freq) or null.</param>
    /// <param name="lTrans">l_trans_bandwidth, null for 'auto'.</param>
    /// <param name="hTrans">h_trans_bandwidth, null for 'auto'.</param>
    /// <param name="maxLength">Longest filter allowed (the recording's length in samples).</param>
    /// <param name="context">The recording, for messages (e.g. <c>S001R01.edf (160 Hz, 9760 samples)</c>).</param>
    /// <exception cref="EegFilterException">The filter cannot be built at this rate or is longer than <paramref name="maxLength"/>.</exception>
    public static FirFilterDesign Pass(double samplesPerSecond, double? lFreq, double? hFreq, double? lTrans, double? hTrans, long maxLength, string context)
    {
        double sfreq = samplesPerSecond, nyq = sfreq / 2.0;
        if (lFreq is null && hFreq is null) throw new ArgumentException("A pass filter needs l_freq, h_freq or both.");
        if (lFreq is { } lf && hFreq is { } hf && !(lf < hf))
            throw new EegFilterException($"{context}: l_freq is {N(lf)} Hz and h_freq {N(hf)} Hz; a band-pass needs l_freq below h_freq.");
        string kind = lFreq is null ? "low-pass" : hFreq is null ? "high-pass" : "band-pass";
        double minTrans = double.PositiveInfinity;
        double lStop = 0, hStop = nyq, lt = 0, ht = 0;
        if (lFreq is { } l)
        {
            CheckBelowNyquist(l, "l_freq", nyq, sfreq, context);
            lt = lTrans ?? Math.Min(Math.Max(0.25 * l, 2.0), l);
            lStop = l - lt;
            if (lStop < 0)
                throw new EegFilterException(
                    $"{context}: the high-pass at l_freq {N(l)} Hz with l_trans_bandwidth {N(lt)} Hz would stop below 0 Hz ({N(lStop)} Hz); raise l_freq or narrow the transition.");
            minTrans = Math.Min(minTrans, lt);
        }
        if (hFreq is { } h)
        {
            CheckBelowNyquist(h, "h_freq", nyq, sfreq, context);
            ht = hTrans ?? Math.Min(Math.Max(0.25 * h, 2.0), nyq - h);
            hStop = h + ht;
            if (hStop > nyq)
                throw new EegFilterException(
                    $"{context}: the low-pass at h_freq {N(h)} Hz with h_trans_bandwidth {N(ht)} Hz would stop at {N(hStop)} Hz, above the Nyquist frequency {N(nyq)} Hz of a {N(sfreq)} Hz recording.");
            minTrans = Math.Min(minTrans, ht);
        }

        var hz = new List<double>();
        var gain = new List<double>();
        if (lFreq is { } l2)
        {
            if (lStop != 0) { hz.Add(0); gain.Add(0); }
            hz.Add(lStop); gain.Add(0);
            hz.Add(l2); gain.Add(1);
        }
        else
        {
            hz.Add(0); gain.Add(1);
        }
        if (hFreq is { } h2)
        {
            hz.Add(h2); gain.Add(1);
            hz.Add(hStop); gain.Add(0);
            if (hStop != nyq) { hz.Add(nyq); gain.Add(0); }
        }
        else
        {
            hz.Add(nyq); gain.Add(1);
        }

        string description = kind + (lFreq is { } a ? $" l_freq {N(a)} Hz (transition {N(lt)} Hz, -6 dB at {N(a - lt / 2)} Hz)" : "")
            + (hFreq is { } b ? $" h_freq {N(b)} Hz (transition {N(ht)} Hz, -6 dB at {N(b + ht / 2)} Hz)" : "");
        return Build(sfreq, description, hz.ToArray(), gain.ToArray(), minTrans, maxLength, context);
    }

    /// <summary>
    /// A band-stop with one or more stop bands, each given by its pass-band edges, as MNE's
    /// <c>raw.filter(l_freq=upper, h_freq=lower)</c> (or <c>filter_data(x, sfreq, highs, lows)</c>
    /// for several bands, which is how <c>notch_filter</c> works).
    /// </summary>
    /// <param name="samplesPerSecond">The recording's rate in Hz.</param>
    /// <param name="lower">Each band's lower pass-band edge (MNE's h_freq).</param>
    /// <param name="upper">Each band's upper pass-band edge (MNE's l_freq).</param>
    /// <param name="lowerTrans">Transition bandwidth at the lower edges (MNE's h_trans_bandwidth), null for 'auto'.</param>
    /// <param name="upperTrans">Transition bandwidth at the upper edges (MNE's l_trans_bandwidth), null for 'auto'.</param>
    /// <param name="maxLength">Longest filter allowed (the recording's length in samples).</param>
    /// <param name="context">The recording, for messages.</param>
    /// <param name="what">What the band-stop is, for messages (<c>band-stop</c> or <c>notch</c>).</param>
    /// <exception cref="EegFilterException">The filter cannot be built at this rate or is longer than <paramref name="maxLength"/>.</exception>
    public static FirFilterDesign Stop(double samplesPerSecond, IReadOnlyList<double> lower, IReadOnlyList<double> upper,
        double? lowerTrans, double? upperTrans, long maxLength, string context, string what)
    {
        double sfreq = samplesPerSecond, nyq = sfreq / 2.0;
        int bands = lower.Count;
        if (bands == 0 || upper.Count != bands) throw new ArgumentException("lower and upper need one edge per band.");
        // MNE's _triage_filter_params with reverse=True: the pass-band edges stay where they are and
        // the stop band begins one transition inside each of them.
        var passLow = new double[bands];
        var stopLow = new double[bands];
        var stopHigh = new double[bands];
        var passHigh = new double[bands];
        double minLowerTrans = double.PositiveInfinity, minUpperTrans = double.PositiveInfinity;
        for (int i = 0; i < bands; i++)
        {
            double lo = lower[i], hi = upper[i];
            if (!(lo > 0))
                throw new EegFilterException($"{context}: the {what}'s lower edge is {N(lo)} Hz; it must be above 0 Hz.");
            CheckBelowNyquist(hi, $"the {what}'s upper edge", nyq, sfreq, context);
            double lt = lowerTrans ?? Math.Min(Math.Max(0.25 * lo, 2.0), lo);
            double ls = lo - lt;
            ls += lt;
            passLow[i] = ls;
            stopLow[i] = lo + lt;
            double ht = upperTrans ?? Math.Min(Math.Max(0.25 * hi, 2.0), nyq - hi);
            double hs = hi + ht;
            hs -= ht;
            passHigh[i] = hs;
            stopHigh[i] = hi - ht;
            if (hs > nyq)
                throw new EegFilterException($"{context}: the {what}'s upper edge {N(hi)} Hz lies above the Nyquist frequency {N(nyq)} Hz of a {N(sfreq)} Hz recording.");
            minLowerTrans = Math.Min(minLowerTrans, lt);
            minUpperTrans = Math.Min(minUpperTrans, ht);
        }

        // Control points sorted by frequency (stable, so equal frequencies keep MNE's concatenation order).
        var points = passLow.Select(f => (Hz: f, Gain: 1.0))
            .Concat(stopLow.Select(f => (Hz: f, Gain: 0.0)))
            .Concat(stopHigh.Select(f => (Hz: f, Gain: 0.0)))
            .Concat(passHigh.Select(f => (Hz: f, Gain: 1.0)))
            .OrderBy(p => p.Hz).ToList();
        if (points[0].Hz != 0) points.Insert(0, (0, 1));
        if (points[^1].Hz != nyq) points.Add((nyq, 1));
        for (int i = 2; i < points.Count; i++)
        {
            if (Math.Abs(points[i].Gain - 2 * points[i - 1].Gain + points[i - 2].Gain) > 1)
                throw new EegFilterException(
                    $"{context}: the {what} cannot be built: with MNE's transition bandwidths its pass and stop bands overlap "
                    + $"(pass-band edges {string.Join(", ", Enumerable.Range(0, bands).Select(b => $"{N(lower[b])}/{N(upper[b])}"))} Hz, "
                    + $"stop bands {string.Join(", ", Enumerable.Range(0, bands).Select(b => $"{N(stopLow[b])}-{N(stopHigh[b])}"))} Hz). Widen the band or use the notch.");
        }

        double minTrans = Math.Min(minLowerTrans, minUpperTrans);
        string description = what == "notch"
            ? $"notch at {string.Join(", ", Enumerable.Range(0, bands).Select(b => N((lower[b] + upper[b]) / 2)))} Hz"
            : $"band-stop passing up to {N(lower[0])} Hz and from {N(upper[0])} Hz (stop band {N(stopLow[0])}-{N(stopHigh[0])} Hz)";
        return Build(sfreq, description, points.Select(p => p.Hz).ToArray(), points.Select(p => p.Gain).ToArray(), minTrans, maxLength, context);
    }

    /// <summary>
    /// The notch of MNE's <c>raw.notch_filter(freqs)</c> with its defaults (<c>notch_widths=freqs/200</c>,
    /// <c>trans_bandwidth=1</c>): a band-stop with pass-band edges <c>f -/+ (f/400 + 0.5)</c> Hz and
    /// 0.5 Hz transitions.
    /// </summary>
    /// <param name="samplesPerSecond">The recording's rate in Hz.</param>
    /// <param name="frequencies">The notch frequencies in Hz.</param>
    /// <param name="maxLength">Longest filter allowed (the recording's length in samples).</param>
    /// <param name="context">The recording, for messages.</param>
    /// <exception cref="EegFilterException">A notch band reaches the Nyquist frequency, two overlap, or the filter is too long.</exception>
    public static FirFilterDesign Notch(double samplesPerSecond, IReadOnlyList<double> frequencies, long maxLength, string context)
    {
        const double halfTransition = 1.0 / 2.0;
        var lows = new double[frequencies.Count];
        var highs = new double[frequencies.Count];
        for (int i = 0; i < frequencies.Count; i++)
        {
            double f = frequencies[i], width = f / 200.0;
            lows[i] = f - width / 2.0 - halfTransition;
            highs[i] = f + width / 2.0 + halfTransition;
            if (!(highs[i] < samplesPerSecond / 2.0))
                throw new EegFilterException(
                    $"{context}: the notch at {N(f)} Hz reaches {N(highs[i])} Hz, at or above the Nyquist frequency {N(samplesPerSecond / 2.0)} Hz of a {N(samplesPerSecond)} Hz recording.");
        }
        return Stop(samplesPerSecond, lows, highs, halfTransition, halfTransition, maxLength, context, "notch");
    }

    /// <summary>
    /// The notch frequencies to apply at a rate: the given ones and, with harmonics, every multiple
    /// whose notch band (<c>k f + k f / 400 + 0.5</c> Hz) stays below the Nyquist frequency; sorted, without duplicates.
    /// </summary>
    /// <exception cref="EegFilterException">A frequency's notch band would reach 0 Hz (below about 0.5 Hz).</exception>
    public static double[] NotchFrequencies(IReadOnlyList<double> frequencies, bool harmonics, double samplesPerSecond, string context)
    {
        foreach (double f in frequencies)
        {
            // Checked here, before the harmonics of a tiny frequency are counted.
            if (!(f - f / 200.0 / 2.0 - 0.5 > 0))
                throw new EegFilterException($"{context}: the notch at {N(f)} Hz reaches {N(f - f / 200.0 / 2.0 - 0.5)} Hz; its band must stay above 0 Hz (frequencies above about 0.502 Hz).");
        }
        if (!harmonics) return frequencies.Distinct().Order().ToArray();
        var all = new SortedSet<double>();
        foreach (double f in frequencies)
        {
            all.Add(f);
            for (int k = 2; ; k++)
            {
                double h = k * f;
                if (!(h + h / 200.0 / 2.0 + 0.5 < samplesPerSecond / 2.0)) break;
                all.Add(h);
            }
        }
        return all.ToArray();
    }

    private static void CheckBelowNyquist(double hz, string what, double nyq, double sfreq, string context)
    {
        if (!(hz < nyq))
            throw new EegFilterException($"{context}: {what} is {N(hz)} Hz, at or above the Nyquist frequency {N(nyq)} Hz of a {N(sfreq)} Hz recording.");
    }

    /// <summary>MNE's automatic length, then <c>_construct_fir_filter</c> / <c>_firwin_design</c>.</summary>
    private static FirFilterDesign Build(double sfreq, string description, double[] hz, double[] gain, double minTrans, long maxLength, string context)
    {
        // filter_length='auto': '%ss' % (3.3 * 1. / min(trans)), then ceil(seconds * sfreq), made odd.
        double seconds = HammingLengthFactor * 1.0 / minTrans;
        double length = Math.Max(Math.Ceiling(seconds * sfreq), 1);
        if (length % 2 == 0) length += 1;
        if (!(length <= maxLength))
            throw new EegFilterException(
                $"{context}: the {description} needs {N(length)} taps ({N(length / sfreq)} s at {N(sfreq)} Hz), more than the recording's {maxLength} samples; filter a longer recording or use a wider transition band.");
        if (length > MaxTaps)
            throw new EegFilterException(
                $"{context}: the {description} needs {N(length)} taps ({N(length / sfreq)} s at {N(sfreq)} Hz); at most {MaxTaps} are built. Use a wider transition band.");
        double nyq = sfreq / 2.0;
        double[] normalized = hz.Select(f => f / nyq).ToArray();
        double[] kernel = FirwinDesign((int)length, normalized, gain, sfreq, context, description);
        return new FirFilterDesign(sfreq, description, hz, gain, kernel);
    }

    /// <summary>
    /// MNE's <c>_firwin_design</c>: from the Nyquist frequency down, every gain change adds (or
    /// subtracts) a centred Hamming-windowed low-pass whose own length fits that transition.
    /// </summary>
    private static double[] FirwinDesign(int length, double[] freq, double[] gain, double sfreq, string context, string description)
    {
        var h = new double[length];
        double prevFreq = freq[^1], prevGain = gain[^1];
        if (prevGain == 1) h[length / 2] = 1;
        for (int i = freq.Length - 2; i >= 0; i--)
        {
            double thisFreq = freq[i], thisGain = gain[i];
            if (thisGain != prevGain)
            {
                double transition = (prevFreq - thisFreq) / 2.0;
                int thisLength = (int)Math.Round(HammingLengthFactor / transition, MidpointRounding.ToEven);
                thisLength += 1 - thisLength % 2;
                if (thisLength > length)
                    throw new EegFilterException(
                        $"{context}: the {description} has {length} taps, too few for its {N(transition * sfreq)} Hz transition band, which needs {thisLength}.");
                double[] lowPass = FirwinLowPass(thisLength, (prevFreq + thisFreq) / 2.0);
                int offset = (length - thisLength) / 2;
                double sign = thisGain == 0 ? -1 : 1;
                for (int k = 0; k < thisLength; k++) h[offset + k] += sign * lowPass[k];
            }
            prevGain = thisGain;
            prevFreq = thisFreq;
        }
        return h;
    }

    /// <summary>
    /// scipy's <c>firwin(numtaps, cutoff, window='hamming', pass_zero=True, fs=2)</c>: a sinc low-pass
    /// with its cutoff in units of the Nyquist frequency, times a symmetric Hamming window, scaled to
    /// unit gain at 0 Hz.
    /// </summary>
    internal static double[] FirwinLowPass(int taps, double cutoff)
    {
        var h = new double[taps];
        double alpha = 0.5 * (taps - 1);
        double step = taps > 1 ? 2 * Math.PI / (taps - 1) : 0; // numpy.linspace(-pi, pi, taps)
        double sum = 0;
        for (int i = 0; i < taps; i++)
        {
            double m = i - alpha;
            double x = cutoff * m;
            double sinc = x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
            double window = taps == 1 ? 1 : 0.54 + (1.0 - 0.54) * Math.Cos(i == taps - 1 ? Math.PI : -Math.PI + i * step);
            h[i] = cutoff * sinc * window;
            sum += h[i];
        }
        for (int i = 0; i < taps; i++) h[i] /= sum;
        return h;
    }

    private static string N(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);
}

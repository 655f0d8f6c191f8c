using System.Globalization;

namespace EegDino.ML.Eeg;

/// <summary>
/// A band-stop filter given by its pass-band edges, as MNE's <c>raw.filter(l_freq=HighHz,
/// h_freq=LowHz)</c> (MNE builds a band-stop when <c>l_freq &gt; h_freq</c>). The signal passes up to
/// <see cref="LowHz"/> and again from <see cref="HighHz"/>; MNE's automatic transition bandwidths then
/// fix the stop band: it starts at <c>LowHz + min(max(LowHz / 4, 2), LowHz)</c> and ends at
/// <c>HighHz - min(max(HighHz / 4, 2), Nyquist - HighHz)</c>, with the -6 dB points halfway. So a
/// band-stop must be wide (6 to 15 Hz stops 8 to 11.25 Hz); for mains interference use the notch.
/// </summary>
public sealed record EegBandStop
{
    /// <summary>Creates a band-stop.</summary>
    /// <param name="lowHz">The lower pass band's upper edge in Hz (MNE's <c>h_freq</c>).</param>
    /// <param name="highHz">The upper pass band's lower edge in Hz (MNE's <c>l_freq</c>), above <paramref name="lowHz"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A frequency is not a positive finite number, or
    /// <paramref name="highHz"/> is not above <paramref name="lowHz"/>.</exception>
    public EegBandStop(double lowHz, double highHz)
    {
        EegFilterOptions.CheckFrequency(lowHz, nameof(lowHz), "the band-stop's lower edge (MNE's h_freq)");
        EegFilterOptions.CheckFrequency(highHz, nameof(highHz), "the band-stop's upper edge (MNE's l_freq)");
        if (!(highHz > lowHz))
            throw new ArgumentOutOfRangeException(nameof(highHz),
                $"The band-stop's edges are {Text(lowHz)} Hz and {Text(highHz)} Hz; the upper edge must be above the lower one.");
        LowHz = lowHz;
        HighHz = highHz;
    }

    /// <summary>The lower pass band's upper edge in Hz (MNE's <c>h_freq</c> of the band-stop call).</summary>
    public double LowHz { get; }

    /// <summary>The upper pass band's lower edge in Hz (MNE's <c>l_freq</c> of the band-stop call).</summary>
    public double HighHz { get; }

    /// <summary>The invariant text form <c>LOW:HIGH</c>, e.g. <c>6:15</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Text(LowHz)}:{Text(HighHz)}";

    private static string Text(double hz) => hz.ToString("R", CultureInfo.InvariantCulture);
}

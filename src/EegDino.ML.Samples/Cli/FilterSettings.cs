using System.ComponentModel;
using System.Globalization;
using EegDino.ML.Eeg;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Cli;

/// <summary>
/// The filtering and re-referencing options, with MNE's names: <c>--l-freq</c>, <c>--h-freq</c>,
/// <c>--l-trans-bandwidth</c>, <c>--h-trans-bandwidth</c>, <c>--notch F</c> (repeatable),
/// <c>--notch-harmonics</c>, <c>--band-stop LOW:HIGH</c>, <c>--reference</c>. They become the library's
/// <see cref="EegFilterOptions"/> (docs/eeg-input.md) for the commands that read recordings
/// (<see cref="ReadsRecordings"/>); the others refuse them.
/// </summary>
internal abstract class FilterSettings : CommandSettings
{
    [CommandOption("--l-freq <HZ>")]
    [Description("High-pass edge in Hz, as MNE's raw.filter(l_freq, ...) (FIR firwin, Hamming, zero phase, automatic transition).")]
    public double? LowFrequency { get; init; }

    [CommandOption("--h-freq <HZ>")]
    [Description("Low-pass edge in Hz, as MNE's raw.filter(..., h_freq); with --l-freq a band-pass.")]
    public double? HighFrequency { get; init; }

    [CommandOption("--l-trans-bandwidth <HZ>")]
    [Description("MNE's l_trans_bandwidth (default: MNE's 'auto').")]
    public double? LowTransitionBandwidth { get; init; }

    [CommandOption("--h-trans-bandwidth <HZ>")]
    [Description("MNE's h_trans_bandwidth (default: MNE's 'auto').")]
    public double? HighTransitionBandwidth { get; init; }

    [CommandOption("--notch <HZ>")]
    [Description("Notch frequency in Hz, as MNE's raw.notch_filter(freqs); repeat for several (e.g. --notch 50 --notch 100).")]
    public double[] Notch { get; init; } = [];

    [CommandOption("--notch-harmonics")]
    [Description("Also notch every multiple of each --notch frequency below the Nyquist frequency.")]
    public bool NotchHarmonics { get; init; }

    [CommandOption("--band-stop <LOW:HIGH>")]
    [Description("A band-stop filter between LOW and HIGH Hz (MNE's raw.filter(l_freq=HIGH, h_freq=LOW)).")]
    public string? BandStop { get; init; }

    [CommandOption("--reference <REFERENCE>")]
    [Description("Re-reference before the montage: as-recorded (default), average (MNE's set_eeg_reference('average')), montage-average (the 19 electrodes only) or linked-ears (A1/A2 or M1/M2).")]
    [DefaultValue("as-recorded")]
    public string Reference { get; init; } = "as-recorded";

    /// <summary>Whether the command reads EDF/BDF recordings (and so takes the filter options).</summary>
    protected virtual bool ReadsRecordings => true;

    private bool AnyFilterGiven => LowFrequency is not null || HighFrequency is not null || LowTransitionBandwidth is not null
        || HighTransitionBandwidth is not null || Notch.Length > 0 || NotchHarmonics || BandStop is not null || Reference != "as-recorded";

    /// <summary>The filter options' check: a message naming the option and the value, or null.</summary>
    protected ValidationResult? ValidateFilters()
    {
        if (!AnyFilterGiven) return null;
        if (!ReadsRecordings) return ValidationResult.Error("--l-freq, --h-freq, --notch, --band-stop and --reference apply to commands that read recordings (embed, demo, train-classifier, preprocess).");
        try
        {
            ToFilterOptions().Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(e.Message.Split(" (Parameter")[0]);
        }
    }

    /// <summary>The library's filter options these flags stand for.</summary>
    /// <exception cref="ArgumentException">A value is out of range (named).</exception>
    public EegFilterOptions ToFilterOptions()
    {
        if (!AnyFilterGiven) return EegFilterOptions.None;
        EegReference reference = Reference switch
        {
            "as-recorded" => EegReference.AsRecorded,
            "average" => EegReference.Average,
            "montage-average" => EegReference.MontageAverage,
            "linked-ears" => EegReference.LinkedEars,
            _ => throw new ArgumentException($"--reference is '{Reference}'; as-recorded, average, montage-average or linked-ears was expected."),
        };
        return new EegFilterOptions
        {
            Reference = reference,
            LowFrequencyHz = LowFrequency,
            HighFrequencyHz = HighFrequency,
            LowTransitionBandwidthHz = LowTransitionBandwidth,
            HighTransitionBandwidthHz = HighTransitionBandwidth,
            NotchFrequenciesHz = Notch,
            NotchHarmonics = NotchHarmonics,
            BandStop = BandStop is null ? null : ParseBandStop(BandStop),
        };
    }

    private static EegBandStop ParseBandStop(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double low)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double high))
            return new EegBandStop(low, high);
        throw new ArgumentException($"--band-stop is '{text}'; LOW:HIGH in Hz (e.g. 6:15) was expected.");
    }
}

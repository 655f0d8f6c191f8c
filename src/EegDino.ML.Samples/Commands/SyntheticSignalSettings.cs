using System.ComponentModel;
using EegDino.ML.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>The settings of the ML.NET samples that make their own signals: the model options and the signal's size.</summary>
internal abstract class SyntheticSignalSettings : ModelSettings
{
    [CommandOption("--channels <N>")]
    [Description("Channels per synthetic signal.")]
    [DefaultValue(19)]
    public int Channels { get; init; }

    [CommandOption("--samples <N>")]
    [Description("Samples per channel (at 200 Hz).")]
    [DefaultValue(2000)]
    public int Samples { get; init; }

    protected sealed override ValidationResult? ValidateCommand() => OptionValues.First(
        OptionValues.AtLeast("--channels", Channels, 1), OptionValues.AtLeast("--samples", Samples, 1), ValidateSample());

    /// <summary>The sample's own checks.</summary>
    protected abstract ValidationResult? ValidateSample();
}

using System.ComponentModel;
using System.Globalization;
using EegDino.ML.Eeg;
using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Tensors;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino preprocess FILE --output OUT.safetensors</c>: the montage-mapped signal in microvolts,
/// resampled to 200 Hz unless <c>--no-resample</c>, as tensor <c>signal</c> <c>[channels, T]</c> float32.
/// </summary>
internal sealed class PreprocessCommand : Command<PreprocessCommand.Settings>
{
    public sealed class Settings : FilterSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("An .edf or .bdf file.")]
        public string File { get; init; } = "";

        [CommandOption("--output <PATH>")]
        [Description("The safetensors file to write: tensor 'signal' [[channels, T]] float32 in microvolts, channels in the order Fp1 Fp2 F3 F4 C3 C4 P3 P4 O1 O2 F7 F8 T3 T4 T5 T6 Fz Cz Pz; metadata: channels, source labels, samples_per_second, source file, gaps.")]
        public string? Output { get; init; }

        [CommandOption("--no-resample")]
        [Description("Keep the file's own sampling rate instead of 200 Hz.")]
        public bool NoResample { get; init; }

        [CommandOption("--use-present-channels")]
        [Description("Keep only the electrodes present instead of failing when one is missing.")]
        public bool UsePresentChannels { get; init; }

        public override ValidationResult Validate() => OptionValues.First(
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required: the safetensors file to write.") : null,
            ValidateFilters());
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output!;
        bool noResample = settings.NoResample;
        bool present = settings.UsePresentChannels;
        string path = settings.File;
        OutputGuard.EnsureNotAnInput("--output", output, path);
        var ci = CultureInfo.InvariantCulture;

        using EdfReader reader = EdfReader.Open(path);
        MontageMapping mapping = new MontageMapper(new MontageOptions { UseOnlyPresentChannels = present }).Map(reader.Signals);
        EdfSignal first = reader.Signals[mapping.SourceIndexes[0]];
        long n = reader.SampleCount(first.Index);
        double fileRate = first.SamplesPerSecond;
        // The whole recording as one window: the same road (reference, filters, resampling) as the loader and embed.
        EegFilterOptions filters = settings.ToFilterOptions();
        var windower = new EegWindower(new EegWindowOptions
        {
            WindowSeconds = n / fileRate,
            StrideSeconds = n / fileRate,
            TargetSamplesPerSecond = noResample ? null : 200,
        });
        EegWindow whole = windower.GetWindows(reader, mapping, filters).Single();
        double rate = whole.SamplesPerSecond;
        int t = whole.NumberOfSamples;
        float[] data = whole.Signal;

        var metadata = new Dictionary<string, string>
        {
            ["channels"] = string.Join(",", mapping.Channels),
            ["source_labels"] = string.Join(",", mapping.SourceLabels),
            ["missing"] = string.Join(",", mapping.Missing),
            ["samples_per_second"] = rate.ToString(ci),
            ["unit"] = "uV",
            ["source"] = Path.GetFileName(path),
            ["gaps"] = string.Join(";", reader.Gaps.Select(g => $"{g.StartSeconds.ToString(ci)}+{g.DurationSeconds.ToString(ci)}")),
            ["filters"] = filters.ToString(),
        };
        SafetensorsFile.Write(output, new Dictionary<string, FloatTensor> { ["signal"] = new([whole.Channels.Count, t], data) }, metadata);

        foreach (EdfGap g in reader.Gaps)
            Console.Error.WriteLine($"warning: gap of {g.DurationSeconds.ToString("0.###", ci)} s at {g.StartSeconds.ToString("0.###", ci)} s is not filled; the records are concatenated.");
        Console.WriteLine($"{Path.GetFileName(path)}: {mapping.Channels.Count} channels x {t} samples at {rate.ToString(ci)} Hz ({(t / rate).ToString("0.###", ci)} s){(filters.IsEmpty ? "" : $", {filters}")} -> {output}");
        if (mapping.Missing.Count > 0) Console.WriteLine($"missing: {string.Join(", ", mapping.Missing)}");
        Console.WriteLine($"dropped ({mapping.Dropped.Count}): {string.Join(", ", mapping.Dropped)}");
        return ExitCodes.Ok;
    }
}

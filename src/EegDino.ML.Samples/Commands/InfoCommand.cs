using System.ComponentModel;
using System.Globalization;
using EegDino.ML.Eeg;
using EegDino.ML.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary><c>eegdino info FILE</c>: header, channels, rates, duration, annotations and montage mapping of an EDF/BDF file.</summary>
internal sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("An .edf or .bdf file.")]
        public string File { get; init; } = "";

        [CommandOption("--annotations <N>")]
        [Description("List at most N annotations (0 for none).")]
        [DefaultValue(20)]
        public int Annotations { get; init; }

        [CommandOption("--use-present-channels")]
        [Description("Map only the 10-20 electrodes present instead of reporting the missing ones as an error.")]
        public bool UsePresentChannels { get; init; }

        public override ValidationResult Validate() => OptionValues.First(OptionValues.AtLeast("--annotations", Annotations, 0));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int maxAnnotations = settings.Annotations;
        bool present = settings.UsePresentChannels;
        string path = settings.File;
        var ci = CultureInfo.InvariantCulture;

        using EdfReader reader = EdfReader.Open(path);
        EdfHeader h = reader.Header;
        Console.WriteLine($"file:        {path}");
        Console.WriteLine($"format:      {h.FileType}");
        Console.WriteLine($"patient:     {h.PatientId}");
        Console.WriteLine($"recording:   {h.RecordingId}");
        Console.WriteLine($"start:       {h.StartDateTime.ToString("yyyy-MM-dd HH:mm:ss", ci)}");
        Console.WriteLine($"records:     {h.NumberOfRecords} x {h.RecordDurationSeconds.ToString(ci)} s");
        Console.WriteLine($"duration:    {reader.DurationSeconds.ToString("0.###", ci)} s ({h.StoredDurationSeconds.ToString("0.###", ci)} s stored)");
        Console.WriteLine($"gaps:        {(reader.Gaps.Count == 0 ? "none" : string.Join("; ", reader.Gaps.Select(g => $"{g.StartSeconds.ToString("0.###", ci)} s + {g.DurationSeconds.ToString("0.###", ci)} s")))}");
        Console.WriteLine($"signals:     {h.NumberOfSignals}");
        Console.WriteLine();
        Console.WriteLine("   #  label             rate (Hz)  unit    physical range                  digital range          prefiltering");
        foreach (EdfSignal s in reader.Signals)
        {
            string rate = s.IsAnnotation ? "-" : s.SamplesPerSecond.ToString("0.###", ci);
            string unit = s.IsAnnotation ? "(annotations)" : s.PhysicalDimension + (s.MicrovoltsPerUnit is null ? " (not a voltage)" : "");
            Console.WriteLine($"{s.Index + 1,4}  {s.Label,-16}  {rate,9}  {unit,-6}  {s.PhysicalMinimum.ToString(ci),14} .. {s.PhysicalMaximum.ToString(ci),-14} {s.DigitalMinimum,9} .. {s.DigitalMaximum,-9}  {s.Prefiltering}");
        }

        IReadOnlyList<EdfAnnotation> annotations = reader.Annotations;
        Console.WriteLine();
        Console.WriteLine($"annotations: {annotations.Count}" + (annotations.Count > 0
            ? " (" + string.Join(", ", annotations.GroupBy(a => a.Text).OrderByDescending(g => g.Count()).Take(8).Select(g => $"{g.Key} x{g.Count()}")) + ")" : ""));
        foreach (EdfAnnotation a in annotations.Take(Math.Max(0, maxAnnotations)))
            Console.WriteLine($"  {a.OnsetSeconds.ToString("0.000", ci),10} s  {a.DurationSeconds.ToString("0.###", ci),7} s  {a.Text}");
        if (annotations.Count > maxAnnotations && maxAnnotations > 0) Console.WriteLine($"  ... {annotations.Count - maxAnnotations} more");

        Console.WriteLine();
        Console.WriteLine($"montage (model channel order: {string.Join(" ", MontageMapper.DefaultChannelOrder)}):");
        try
        {
            MontageMapping mapping = new MontageMapper(new MontageOptions { UseOnlyPresentChannels = present }).Map(reader.Signals);
            Console.WriteLine(mapping.Describe());
        }
        catch (EegMontageException e)
        {
            Console.WriteLine("  " + e.Message);
            return ExitCodes.Failure;
        }
        return ExitCodes.Ok;
    }
}

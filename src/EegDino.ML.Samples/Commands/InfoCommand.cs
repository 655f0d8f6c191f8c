using System.Globalization;
using EegDino.ML.Eeg;

namespace EegDino.ML.Samples.Commands;

/// <summary><c>eegdino info FILE</c>: header, channels, rates, duration, annotations and montage mapping of an EDF/BDF file.</summary>
internal sealed class InfoCommand : ICommand
{
    public string Name => "info";

    public string Summary => "Show an EDF/EDF+/BDF file: header, channels, annotations, montage mapping.";

    public string Usage => """
        usage: eegdino info FILE [--annotations N] [--use-present-channels]

          FILE                     an .edf or .bdf file
          --annotations N          list at most N annotations (default 20; 0 for none)
          --use-present-channels   map only the 10-20 electrodes present instead of reporting an error
        """;

    public int Run(CommandArgs args)
    {
        int maxAnnotations = args.Int("annotations", 20);
        bool present = args.Flag("use-present-channels");
        args.EnsureAllUsed();
        if (args.Positional.Count != 1) throw new UsageException("exactly one FILE is expected.");
        string path = args.Positional[0];
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
            return 1;
        }
        return 0;
    }
}

using System.Globalization;
using EegDino.ML.Eeg;
using EegDino.ML.Weights;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino preprocess FILE --output OUT.safetensors</c>: the montage-mapped signal in microvolts,
/// resampled to 200 Hz unless <c>--no-resample</c>, as tensor <c>signal</c> <c>[channels, T]</c> float32.
/// </summary>
internal sealed class PreprocessCommand : ICommand
{
    public string Name => "preprocess";

    public string Summary => "Map an EDF/BDF file to the model's 19 channels in microvolts at 200 Hz and save it as safetensors.";

    public string Usage => """
        usage: eegdino preprocess FILE --output OUT.safetensors [--no-resample] [--use-present-channels]

          FILE                     an .edf or .bdf file
          --output PATH            safetensors file to write: tensor 'signal' [channels, T] float32, microvolts,
                                   channels in the order Fp1 Fp2 F3 F4 C3 C4 P3 P4 O1 O2 F7 F8 T3 T4 T5 T6 Fz Cz Pz;
                                   metadata: channels, source labels, samples_per_second, source file
          --no-resample            keep the file's own sampling rate instead of 200 Hz
          --use-present-channels   keep only the electrodes present instead of failing when one is missing

        The whole recording is held in memory. Records of an EDF+D file are concatenated: gaps are
        listed on stderr and in the metadata, not filled.
        """;

    public int Run(CommandArgs args)
    {
        string output = args.Required("output");
        bool noResample = args.Flag("no-resample");
        bool present = args.Flag("use-present-channels");
        args.EnsureAllUsed();
        if (args.Positional.Count != 1) throw new UsageException("exactly one FILE is expected.");
        string path = args.Positional[0];
        var ci = CultureInfo.InvariantCulture;

        using EdfReader reader = EdfReader.Open(path);
        MontageMapping mapping = new MontageMapper(new MontageOptions { UseOnlyPresentChannels = present }).Map(reader.Signals);
        EdfSignal first = reader.Signals[mapping.SourceIndexes[0]];
        long n = reader.SampleCount(first.Index);
        float[][] channels = reader.ReadMicrovolts(mapping.SourceIndexes, 0, checked((int)n));
        double rate = first.SamplesPerSecond;
        if (!noResample && Math.Abs(rate - 200) > 1e-9)
        {
            var resampler = new EegResampler(rate, 200);
            channels = channels.Select(c => resampler.Resample(c)).ToArray();
            rate = 200;
        }
        int t = channels[0].Length;
        var data = new float[channels.Length * t];
        for (int c = 0; c < channels.Length; c++) channels[c].CopyTo(data, c * t);

        var metadata = new Dictionary<string, string>
        {
            ["channels"] = string.Join(",", mapping.Channels),
            ["source_labels"] = string.Join(",", mapping.SourceLabels),
            ["missing"] = string.Join(",", mapping.Missing),
            ["samples_per_second"] = rate.ToString(ci),
            ["unit"] = "uV",
            ["source"] = Path.GetFileName(path),
            ["gaps"] = string.Join(";", reader.Gaps.Select(g => $"{g.StartSeconds.ToString(ci)}+{g.DurationSeconds.ToString(ci)}")),
        };
        SafetensorsWriter.Write(output, new Dictionary<string, WeightTensor> { ["signal"] = new([channels.Length, t], data) }, metadata);

        foreach (EdfGap g in reader.Gaps)
            Console.Error.WriteLine($"warning: gap of {g.DurationSeconds.ToString("0.###", ci)} s at {g.StartSeconds.ToString("0.###", ci)} s is not filled; the records are concatenated.");
        Console.WriteLine($"{Path.GetFileName(path)}: {mapping.Channels.Count} channels x {t} samples at {rate.ToString(ci)} Hz ({(t / rate).ToString("0.###", ci)} s) -> {output}");
        if (mapping.Missing.Count > 0) Console.WriteLine($"missing: {string.Join(", ", mapping.Missing)}");
        Console.WriteLine($"dropped ({mapping.Dropped.Count}): {string.Join(", ", mapping.Dropped)}");
        return 0;
    }
}

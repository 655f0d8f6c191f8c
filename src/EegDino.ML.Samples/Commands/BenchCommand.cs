using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using EegDino.ML.Samples.Bench;
using EegDino.ML.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino bench</c>: times the encoder of the released sizes (random weights: speed does not
/// depend on the values) on [B, 19, 2000] input through the public path, <see cref="EegDinoEncoder.Embed(ReadOnlySpan{float}, int, int, EegDinoEmbeddingKind)"/>
/// (float[] in, the pooled mean out), optionally also from a device tensor and with every token copied
/// back (<c>--paths</c>), per batch size and compute precision, and in the same run
/// each precision's matmul peak, so the efficiency figures are comparable across noisy machines.
/// </summary>
internal sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--sizes <LIST>")]
        [Description("Comma-separated sizes: small, medium, large.")]
        [DefaultValue("small,medium,large")]
        public string Sizes { get; init; } = "small,medium,large";

        [CommandOption("--batch-sizes <LIST>")]
        [Description("Comma-separated batch sizes.")]
        [DefaultValue("1,8,16")]
        public string BatchSizes { get; init; } = "1,8,16";

        [CommandOption("--precision <LIST>")]
        [Description("Comma-separated compute precisions: fp32, bf16, fp16. Each one's matmul peak is measured too; a precision the library refuses is reported as skipped.")]
        [DefaultValue("fp32")]
        public string Precision { get; init; } = "fp32";

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda or cuda:N (a named device: the peaks are measured on it). On CUDA the peaks are fp32 (TF32 off), tf32 and bf16 on 8192^3 matmuls, and timing is synchronised.")]
        [DefaultValue("cpu")]
        public string Device { get; init; } = "cpu";

        [CommandOption("--repeats <N>")]
        [Description("Timed forward passes per case, after 3 untimed warm-up passes (fewer when they would exceed --seconds, never fewer than 3).")]
        [DefaultValue(5)]
        public int Repeats { get; init; }

        [CommandOption("--seconds <S>")]
        [Description("Time budget per case, in seconds.")]
        [DefaultValue(60.0)]
        public double Seconds { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Torch's intra-op threads (0: torch's default, one per core).")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        [CommandOption("--json <PATH>")]
        [Description("Also write the figures as JSON: {\"machine\": {...}, \"peaks\": {\"fp32\": GFLOP/s, ...}, \"cases\": [[{size, batch, device, precision, median_ms, best_ms, samples_per_second, gflops}]]}.")]
        public string? Json { get; init; }

        [CommandOption("--paths <PATHS>")]
        [Description("What is timed, comma-separated: host (float[[]] in, pooled mean out: the path users call; the table's figure), device (from a tensor already on the device, pooled out), tokens (EncodeBatch: every token copied back).")]
        [DefaultValue("host,device")]
        public string Paths { get; init; } = "host,device";

        public IReadOnlyList<string> PathList => OptionValues.Split(Paths).Distinct().ToList();

        [CommandOption("--profile")]
        [Description("Per size and precision, also time models of the same widths with 1 and 2 layers: one layer = their difference, the rest (patch embedding, host copies, pooling) = the 1-layer time minus one layer.")]
        public bool Profile { get; init; }

        public IReadOnlyList<EegDinoSize> SizeList => OptionValues.Split(Sizes).Select(s => Enum.Parse<EegDinoSize>(s, ignoreCase: true)).Distinct().ToList();

        public IReadOnlyList<int> BatchSizeList => OptionValues.Split(BatchSizes).Select(b => int.Parse(b, CultureInfo.InvariantCulture)).Distinct().ToList();

        public IReadOnlyList<EegDinoPrecision> PrecisionList => OptionValues.Split(Precision).Select(p => OptionValues.ParsePrecision(p)!.Value).Distinct().ToList();

        public override ValidationResult Validate()
        {
            string[] sizes = OptionValues.Split(Sizes), batches = OptionValues.Split(BatchSizes), precisions = OptionValues.Split(Precision);
            return OptionValues.First(
                sizes.Length == 0 ? ValidationResult.Error("--sizes is empty; small, medium and/or large was expected.") : null,
                sizes.FirstOrDefault(s => !Enum.TryParse<EegDinoSize>(s, ignoreCase: true, out _) || int.TryParse(s, out _)) is string badSize
                    ? ValidationResult.Error($"--sizes has '{badSize}'; small, medium or large was expected.") : null,
                batches.Length == 0 ? ValidationResult.Error("--batch-sizes is empty; positive whole numbers were expected.") : null,
                batches.FirstOrDefault(b => !int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1) is string badBatch
                    ? ValidationResult.Error($"--batch-sizes has '{badBatch}'; positive whole numbers were expected.") : null,
                precisions.Length == 0 ? ValidationResult.Error($"--precision is empty; one or more of {OptionValues.PrecisionNames} was expected.") : null,
                precisions.Select(p => OptionValues.Precision("--precision", p)).FirstOrDefault(e => e is not null),
                OptionValues.Device(Device),
                Device.Trim().ToLowerInvariant() is "cpu" || Device.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase) && !Device.Contains("auto", StringComparison.OrdinalIgnoreCase)
                    ? null : ValidationResult.Error($"--device is '{Device}'; the bench measures on cpu, cuda or cuda:N."),
                OptionValues.Split(Paths).FirstOrDefault(p => p is not ("host" or "device" or "tokens")) is string badPath
                    ? ValidationResult.Error($"--paths has '{badPath}'; host, device and/or tokens was expected.") : null,
                OptionValues.Split(Paths).Contains("host") ? null : ValidationResult.Error("--paths must include host (the table's figure)."),
                OptionValues.AtLeast("--repeats", Repeats, 1),
                OptionValues.Finite("--seconds", Seconds, positive: true),
                OptionValues.AtLeast("--threads", Threads, 0));
        }
    }

    private const int Channels = 19;
    private const int Samples = 2000;

    /// <summary>
    /// Untimed forward passes before the timed ones. Three reach the steady state: with glibc's default
    /// malloc settings the first several passes page-fault on fresh memory (see EegDinoAllocator).
    /// </summary>
    private const int WarmupRuns = 3;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Threads > 0) set_num_threads(settings.Threads);
        string deviceName = settings.Device.Trim().ToLowerInvariant();
        bool onCuda = deviceName.StartsWith("cuda", StringComparison.Ordinal);
        if (onCuda && !cuda.is_available())
            throw new EegDinoException($"--device is '{settings.Device}', but CUDA is not available: the app needs the TorchSharp CUDA backend package and a CUDA device.");
        var device = new Device(deviceName);
        var sizes = settings.SizeList;
        var batches = settings.BatchSizeList;
        var precisions = settings.PrecisionList;
        var ci = CultureInfo.InvariantCulture;

        var machine = MachineInfo.Read(onCuda);
        Console.WriteLine($"torch {machine.Torch}, {machine.TorchThreads} threads, {machine.Cores} logical cores, {machine.CpuModel}; flags: {(machine.CpuFlags.Count == 0 ? "no bf16/amx" : string.Join(" ", machine.CpuFlags))}{(machine.Gpu is null ? "" : $"; GPU {machine.Gpu}")}");
        var peakKeys = precisions.Select(MatmulPeaks.Key).ToList();
        if (onCuda) peakKeys = [.. new[] { "fp32", "tf32", "bf16" }.Union(peakKeys)];
        var peaks = peakKeys.ToDictionary(k => k, k => MatmulPeaks.Measure(k, device));
        Console.WriteLine("matmul peaks: " + Describe(peaks));

        var cases = new List<BenchCase>();
        int total = sizes.Count * precisions.Count * batches.Count;
        CliProgress.Run("bench cases", total, progress =>
        {
            foreach (var size in sizes)
            {
                var config = EegDinoConfig.FromPreset(size);
                double flops = ForwardFlops.PerSample(config, Channels, Samples);
                foreach (var precision in precisions)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    string name = OptionValues.Name(precision);
                    EegDinoEncoder? encoder = TryCreate(config, deviceName, precision, out string? refusal);
                    if (encoder is null)
                    {
                        foreach (int batch in batches)
                        {
                            cases.Add(new BenchCase { Size = size.ToString(), Batch = batch, Device = deviceName, Precision = name, Skipped = refusal });
                            progress.Advance(1, $"{size} {name} B={batch}: skipped ({refusal})");
                        }
                        continue;
                    }
                    using (encoder)
                    {
                        foreach (int batch in batches)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            float[] input = Input(batch);
                            var (median, best) = TimeMs(() => encoder.Embed(input, batch, Channels), settings.Repeats, settings.Seconds, onCuda);
                            double? deviceMs = null, tokensMs = null;
                            if (settings.PathList.Contains("device"))
                            {
                                using var onDevice = tensor(input, [batch, Channels, Samples]).to(device);
                                deviceMs = TimeMs(() => encoder.Embed(onDevice), settings.Repeats, settings.Seconds, onCuda).Median;
                            }
                            if (settings.PathList.Contains("tokens"))
                                tokensMs = TimeMs(() => encoder.EncodeBatch(input, batch, Channels), settings.Repeats, settings.Seconds, onCuda).Median;
                            var c = new BenchCase
                            {
                                Size = size.ToString(), Batch = batch, Device = deviceName, Precision = name,
                                MedianMs = median, BestMs = best, SamplesPerSecond = batch / (median / 1000), Gflops = flops * batch / (median / 1000) / 1e9,
                                DeviceMedianMs = deviceMs, TokensMedianMs = tokensMs,
                            };
                            cases.Add(c);
                            progress.Advance(1, string.Create(ci,
                                $"{size} {name} B={batch}: {median:F1} ms (best {best:F1}), {c.SamplesPerSecond:F1} samples/s, {c.Gflops:F1} GFLOP/s{(deviceMs is double d ? $"; from the device {d:F1} ms (host path {median / d:F2}x)" : "")}{(tokensMs is double t ? $"; all tokens out {t:F1} ms" : "")}"));
                            if (settings.Profile) progress.Log(Profile(config, deviceName, precision, batch, settings.Repeats, onCuda));
                        }
                    }
                }
            }
        });

        // The peaks again after the cases: the best of before and after (the machine is noisy).
        foreach (string key in peakKeys)
        {
            MatmulPeak after = MatmulPeaks.Measure(key, device);
            if (after.Gflops > peaks[key].Gflops) peaks[key] = after;
        }
        PrintTable(peaks, cases, sizes);
        if (settings.Json is not null)
        {
            var report = new BenchReport { Machine = machine, Peaks = peaks.ToDictionary(p => p.Key, p => Math.Round(p.Value.Gflops, 1)), Cases = cases };
            File.WriteAllText(settings.Json, report.ToJson());
            Console.WriteLine($"wrote {settings.Json}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>A random-weight encoder, or null with the library's reason when it refuses the precision.</summary>
    private static EegDinoEncoder? TryCreate(EegDinoConfig config, string device, EegDinoPrecision precision, out string? refusal)
    {
        try
        {
            refusal = null;
            return EegDinoEncoder.CreateRandom(config, new EegDinoEncoderOptions { Device = device, Precision = precision });
        }
        catch (NotSupportedException e)
        {
            refusal = CliErrors.Clean(e.Message);
            return null;
        }
    }

    /// <summary>Input of B recordings: noise of about 30 uV, as EEG in microvolts (the encoder's default scale).</summary>
    private static float[] Input(int batch)
    {
        var random = new Random(0);
        var input = new float[batch * Channels * Samples];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(30 * (random.NextDouble() * 2 - 1));
        return input;
    }

    /// <summary>Median and best wall time of <paramref name="pass"/> (one forward pass whose result is on the host) after the warm-up runs.</summary>
    private static (double Median, double Best) TimeMs(Func<object> pass, int repeats, double budgetSeconds, bool onCuda)
    {
        var times = new List<double>();
        var watch = new Stopwatch();
        for (int i = 0; i < WarmupRuns + repeats; i++)
        {
            if (onCuda) cuda.synchronize();
            watch.Restart();
            _ = pass(); // the result is copied to the host: the GPU has finished
            if (onCuda) cuda.synchronize();
            watch.Stop();
            if (i >= WarmupRuns) times.Add(watch.Elapsed.TotalMilliseconds);
            if (times.Count >= 3 && times.Sum() / 1000 > budgetSeconds) break;
        }
        times.Sort();
        return (times[times.Count / 2], times[0]);
    }

    /// <summary>One layer's time (2-layer minus 1-layer model of the same widths) and the rest's, against the whole forward pass.</summary>
    private static string Profile(EegDinoConfig config, string device, EegDinoPrecision precision, int batch, int repeats, bool onCuda)
    {
        double Time(int layers)
        {
            var shallow = new EegDinoConfig(layers, config.NumberOfHeads, config.FeedForwardDim, config.Convolutions,
                config.NumberOfChannelEmbeddings, config.NumberOfGlobalTokens, Math.Min(config.GlobalTokenLayer, layers), config.PatchSize);
            using var encoder = EegDinoEncoder.CreateRandom(shallow, new EegDinoEncoderOptions { Device = device, Precision = precision });
            float[] input = Input(batch);
            return TimeMs(() => encoder.Embed(input, batch, Channels), repeats, double.MaxValue, onCuda).Median;
        }
        double one = Time(1), two = Time(2);
        double layer = two - one, rest = one - layer;
        return string.Create(CultureInfo.InvariantCulture,
            $"    profile: one layer {layer:F1} ms (x {config.NumberOfLayers} = {layer * config.NumberOfLayers:F0} ms); patch embedding, copies and pooling {rest:F1} ms");
    }

    private static string Describe(Dictionary<string, MatmulPeak> peaks) => string.Join(", ", peaks.Select(p =>
        string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value.Gflops:F1} GFLOP/s ({p.Value.Size}^3)")));

    private static void PrintTable(Dictionary<string, MatmulPeak> peaks, List<BenchCase> cases, IReadOnlyList<EegDinoSize> sizes)
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("matmul peaks (best of before/after): " + Describe(peaks) +
            "; FLOPs per 19 x 2000 sample: " + string.Join(", ", sizes.Select(s => string.Create(ci, $"{s} {ForwardFlops.PerSample(EegDinoConfig.FromPreset(s), Channels, Samples) / 1e9:F2} G"))));
        Console.WriteLine("| size | batch | precision | ms / forward (median) | ms (best) | samples/s (median) | GFLOP/s (median) | % of peak (median) | % of peak (best) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var c in cases)
        {
            if (c.Skipped is not null)
            {
                Console.WriteLine($"| {c.Size} | {c.Batch} | {c.Precision} | skipped: {c.Skipped} | | | | | |");
                continue;
            }
            double peak = peaks[c.Precision].Gflops;
            double bestGflops = c.Gflops!.Value * c.MedianMs!.Value / c.BestMs!.Value;
            Console.WriteLine(string.Create(ci,
                $"| {c.Size} | {c.Batch} | {c.Precision} | {c.MedianMs:F1} | {c.BestMs:F1} | {c.SamplesPerSecond:F1} | {c.Gflops:F1} | {100 * c.Gflops / peak:F0}% | {100 * bestGflops / peak:F0}% |"));
        }
    }
}

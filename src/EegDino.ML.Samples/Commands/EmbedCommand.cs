using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Embedding;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino embed</c>: one embedding row per window for a corpus of EDF/BDF recordings, written to
/// Parquet or CSV; reading overlaps inference, interrupted runs resume, bad files are skipped and
/// reported. The work is done by <see cref="EegEmbeddingJob"/> in the library.
/// </summary>
internal sealed class EmbedCommand : Command<EmbedCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        /// <summary>This command reads recordings: the filter options apply.</summary>
        protected override bool ReadsRecordings => true;

        [CommandArgument(0, "[FILES-OR-FOLDERS]")]
        [Description(".edf/.bdf files, or folders searched recursively for them.")]
        public string[] Inputs { get; init; } = [];

        [CommandOption("--output <PATH>")]
        [Description("The table; OUT.progress.jsonl and OUT.parts/ next to it make the run resumable.")]
        public string? Output { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("parquet or csv (default: csv if OUT ends in .csv, else parquet).")]
        public string? Format { get; init; }

        [CommandOption("--window-seconds <SECONDS>")]
        [Description("Window length (10 s = 10 patches at 200 Hz).")]
        [DefaultValue(10.0)]
        public double WindowSeconds { get; init; }

        [CommandOption("--stride-seconds <SECONDS>")]
        [Description("Step between windows (default: the window length, no overlap).")]
        public double? StrideSeconds { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Windows per forward pass.")]
        [DefaultValue(16)]
        public int BatchSize { get; init; }

        [CommandOption("--use-present-channels")]
        [Description("Accept recordings missing some of the 19 electrodes (they fill the first slots).")]
        public bool UsePresentChannels { get; init; }

        [CommandOption("--embedding <KIND>")]
        [Description("pooled-mean (mean patch token) or global-token.")]
        [DefaultValue("pooled-mean")]
        public string Embedding { get; init; } = "pooled-mean";

        [CommandOption("--keep-parts")]
        [Description("Keep the per-recording part files after a complete run.")]
        public bool KeepParts { get; init; }

        [CommandOption("--shard <K/N>")]
        [Description("Embed only shard K of N (K from 0), or auto: from a Slurm array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shards). --output is then a dataset folder that receives part-KKKKK-of-NNNNN.parquet (docs/scale-out.md).")]
        public string? Shard { get; init; }

        [CommandOption("--shards <N>")]
        [Description("The shard count for --shard auto: needed under Kubernetes (its variables do not carry it); under Slurm it makes the task id the shard, so a single task can be resubmitted (sbatch --array=1).")]
        public int? Shards { get; init; }

        [CommandOption("--verify <DIR>")]
        [Description("Check a dataset folder of shards (all parts there, same settings, no recording twice) and write its _manifest.json; needs no model.")]
        public string? Verify { get; init; }

        [CommandOption("--merge <DIR>")]
        [Description("Write the verified dataset folder's parts as one table to --output; needs no model.")]
        public string? Merge { get; init; }

        [CommandOption("--measure")]
        [Description("Also time the bare encoder on the same windows pre-loaded in memory and print both throughputs in hours of EEG per hour (needs a fresh OUT; holds all windows in memory).")]
        public bool Measure { get; init; }

        public double Stride => StrideSeconds ?? WindowSeconds;

        public string TableFormat => Format ?? (Shard is null && Output?.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) == true ? "csv" : "parquet");

        /// <summary>--verify and --merge work on a finished dataset: no model, no recordings.</summary>
        protected override bool ModelRequired => Verify is null && Merge is null;

        protected override ValidationResult? ValidateCommand() => OptionValues.First(
            Verify is not null && (Merge is not null || Inputs.Length > 0) ? ValidationResult.Error("--verify DIR takes no FILES-OR-FOLDERS and no --merge.") : null,
            Merge is not null && Inputs.Length > 0 ? ValidationResult.Error("--merge DIR --output FILE takes no FILES-OR-FOLDERS.") : null,
            Verify is null && Merge is null && Inputs.Length == 0 ? ValidationResult.Error("no FILES-OR-FOLDERS were given.") : null,
            Verify is null && string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required: the table (or, with --shard, the dataset folder) to write.") : null,
            Shards is < 1 or > EmbeddingShard.MaxShards ? ValidationResult.Error($"--shards is {Shards}; 1 to {EmbeddingShard.MaxShards} was expected.") : null,
            Shards is not null && Shard is null ? ValidationResult.Error("--shards N goes with --shard auto.") : null,
            ShardErrorOf(this),
            TableFormat is "parquet" or "csv" ? null : ValidationResult.Error($"--format is '{Format}'; parquet or csv was expected."),
            OptionValues.Seconds("--window-seconds", WindowSeconds),
            OptionValues.Seconds("--stride-seconds", Stride),
            OptionValues.AtLeast("--batch-size", BatchSize, 1),
            Embedding is "pooled-mean" or "global-token" ? null : ValidationResult.Error($"--embedding is '{Embedding}'; pooled-mean or global-token was expected."));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Verify is { } folder) return VerifyDataset(folder);
        if (settings.Merge is { } dataset) return MergeDataset(dataset, settings.Output!, settings.Format);
        EmbeddingShard? shard = settings.Shard is null ? null : EmbeddingShard.Parse(settings.Shard, settings.Shards);
        string model = settings.Model!;
        string output = settings.Output!;
        if (shard is not null)
        {
            // A dataset folder: this shard's part, log, lock and parts beside the other shards'.
            if (File.Exists(output)) throw new UsageException($"--output is '{output}', a file; with --shard it names the dataset folder.");
            Directory.CreateDirectory(output);
            output = Path.Combine(output, shard.PartFileName(settings.TableFormat));
        }
        string format = settings.TableFormat;
        double windowSeconds = settings.WindowSeconds, strideSeconds = settings.Stride;
        int batchSize = settings.BatchSize;
        EegDinoEmbeddingKind kind = settings.Embedding == "global-token" ? EegDinoEmbeddingKind.GlobalToken : EegDinoEmbeddingKind.PooledMean;
        var modelOptions = settings.ToEncoderOptions();

        IReadOnlyList<EegRecordingSource> inputs = EegEmbeddingJob.FindRecordings(settings.Inputs);
        if (inputs.Count == 0) throw new UsageException($"no .edf or .bdf files were found in {string.Join(", ", settings.Inputs)}.");
        IReadOnlyList<EegRecordingSource> mine = shard?.Select(inputs) ?? inputs;
        OutputGuard.EnsureNotAnInput("--output", output, inputs.Select(i => i.Path));
        WindowFit.EnsureSomeRecordingFits("--window-seconds", windowSeconds, inputs.Select(i => i.Path));

        var modelInfo = new FileInfo(model);
        var options = new EmbeddingJobOptions
        {
            Windows = new EegWindowOptions { WindowSeconds = windowSeconds, StrideSeconds = strideSeconds },
            Montage = new MontageOptions { UseOnlyPresentChannels = settings.UsePresentChannels },
            Filters = settings.ToFilterOptions(),
            BatchSize = batchSize,
            Embedding = kind,
            KeepParts = settings.KeepParts,
            ModelIdentity = shard is null
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFullPath(model)} {(modelInfo.Exists ? modelInfo.Length : 0)} {(modelInfo.Exists ? modelInfo.LastWriteTimeUtc.Ticks : 0)} scale={modelOptions.InputScale} source={modelOptions.WeightSource} precision={modelOptions.Precision}")
                // Shards may run on machines that mount the model elsewhere: its content identifies it.
                : string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(model))} sha256={ContentHash(model)} scale={modelOptions.InputScale} source={modelOptions.WeightSource} precision={modelOptions.Precision}"),
            Shard = shard,
        };

        using var encoder = EegDinoEncoder.Load(model, modelOptions);
        Console.WriteLine($"model: {encoder.Description}");
        if (shard is not null) Console.WriteLine($"shard {shard}: {mine.Count} of {inputs.Count} recordings ({mine.Sum(i => new FileInfo(i.Path).Length) / 1e6:F1} of {inputs.Sum(i => new FileInfo(i.Path).Length) / 1e6:F1} MB)");
        Console.WriteLine($"{mine.Count} recordings; {windowSeconds.ToString(CultureInfo.InvariantCulture)} s windows every {strideSeconds.ToString(CultureInfo.InvariantCulture)} s; batch {batchSize}; {kind} embedding of width {encoder.EmbeddingDim}; {format} -> {output}");

        Func<string, int, IEmbeddingTableWriter> createWriter = format == "csv"
            ? (path, dim) => new CsvEmbeddingWriter(path, dim)
            : (path, dim) => new ParquetEmbeddingWriter(path, dim);

        BareTiming? bare = null;
        if (settings.Measure)
        {
            if (File.Exists(output + ".progress.jsonl") || File.Exists(output))
                throw new UsageException($"--measure times a whole run; {output} or its progress log exists already. Use a fresh --output.");
            bare = MeasureBareEncoder(encoder, mine, options);
        }

        EmbeddingJobResult result = RunJob(encoder, options, output, createWriter, inputs, mine.Count, cancellationToken);
        PrintSummary(result, output);

        if (bare is not null && result.Assembled)
        {
            BareTiming again = MeasureBareEncoder(encoder, mine, options, preloaded: bare.Windows);
            PrintMeasurement(bare, again, result, windowSeconds);
        }
        if (!result.Assembled) return ExitCodes.Interrupted;
        return result.Failures.Any() ? ExitCodes.Failure : ExitCodes.Ok;
    }

    private static EmbeddingJobResult RunJob(EegDinoEncoder encoder, EmbeddingJobOptions options, string output,
        Func<string, int, IEmbeddingTableWriter> createWriter, IReadOnlyList<EegRecordingSource> inputs, int count, CancellationToken token) =>
        CliProgress.Run("recordings", count, progress =>
        {
            int failed = 0;
            long windows = 0;
            var watch = Stopwatch.StartNew();
            var job = new EegEmbeddingJob(encoder, options, output, createWriter)
            {
                BatchEncoded = n => Interlocked.Add(ref windows, n),
                RecordingFinished = o =>
                {
                    if (o.Status == RecordingStatus.Failed)
                    {
                        failed++;
                        Console.Error.WriteLine($"skipped {o.Input.Name}: {o.Error}");
                    }
                    progress.Advance(1, string.Create(CultureInfo.InvariantCulture,
                        $"{o.Input.Name}: {(o.Status == RecordingStatus.Failed ? "failed" : $"{o.Windows} windows")}{(o.Status == RecordingStatus.Resumed ? " (done earlier)" : "")}; {windows} encoded, {windows / Math.Max(watch.Elapsed.TotalSeconds, 1e-3):F1}/s, {failed} failed"));
                },
            };
            return job.Run(inputs, token);
        });

    private static ValidationResult? ShardErrorOf(Settings s)
    {
        if (s.Shard is null) return null;
        if (s.Shard.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return null; // checked at run time against the environment
        try
        {
            EmbeddingShard.Parse(s.Shard, s.Shards, _ => null);
            return null;
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error($"--shard: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    /// <summary>SHA-256 of a model file (or of a folder's files in name order): the same on every machine.</summary>
    private static string ContentHash(string model)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var files = Directory.Exists(model) ? Directory.GetFiles(model).Order(StringComparer.Ordinal).ToArray() : [model];
        var buffer = new byte[1 << 20];
        foreach (string file in files)
        {
            using var stream = File.OpenRead(file);
            int n;
            while ((n = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static int VerifyDataset(string folder)
    {
        DatasetManifest manifest = EmbeddingDataset.Verify(folder);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{folder}: complete, {manifest.Shards} parts ({manifest.Format}), {manifest.Rows} rows, {manifest.Parts.Sum(p => p.Recordings)} recordings; wrote {Path.Combine(folder, EmbeddingDataset.ManifestFileName)}"));
        return ExitCodes.Ok;
    }

    private static int MergeDataset(string folder, string output, string? format)
    {
        DatasetManifest manifest = EmbeddingDataset.Verify(folder);
        string target = format ?? (output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? "csv" : "parquet");
        if (target is not ("csv" or "parquet")) throw new UsageException($"--format is '{format}'; parquet or csv was expected.");
        string first = Path.Combine(folder, manifest.Parts[0].File);
        int dim = EmbeddingTableReader.EmbeddingDim(first);
        string tmp = output + ".tmp";
        long rows = 0;
        using (IEmbeddingTableWriter writer = target == "csv" ? new CsvEmbeddingWriter(tmp, dim) : new ParquetEmbeddingWriter(tmp, dim))
        {
            foreach (DatasetPart part in manifest.Parts)
            {
                foreach (var chunk in EmbeddingTableReader.Read(Path.Combine(folder, part.File)))
                {
                    writer.WriteRows(chunk);
                    rows += chunk.Count;
                }
            }
        }
        if (rows != manifest.Rows)
            throw new InvalidDataException($"The parts of {folder} hold {rows} rows; their logs say {manifest.Rows}. {tmp} was kept for inspection.");
        File.Move(tmp, output, overwrite: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output}: {rows} rows from {manifest.Shards} parts"));
        return ExitCodes.Ok;
    }

    private static void PrintSummary(EmbeddingJobResult result, string output)
    {
        int embedded = result.Recordings.Count(r => r.Status == RecordingStatus.Embedded);
        int resumed = result.Recordings.Count(r => r.Status == RecordingStatus.Resumed);
        var failures = result.Failures.ToList();
        var ci = CultureInfo.InvariantCulture;
        if (result.AlreadyComplete)
        {
            Console.WriteLine($"{output} is complete already ({result.RowsWritten} rows); nothing to do.");
            return;
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(ci,
            $"{embedded} recordings embedded, {resumed} done earlier, {failures.Count} failed; {result.WindowsEncoded} windows ({result.EegSecondsEncoded / 3600:F2} h of EEG) encoded in {result.Elapsed.TotalSeconds:F1} s"));
        if (result.Assembled) Console.WriteLine($"wrote {output}: {result.RowsWritten} rows");
        else Console.WriteLine($"interrupted: {output} not written yet; run the same command again to resume.");
        if (failures.Count > 0)
        {
            Console.Error.WriteLine($"{failures.Count} recording(s) skipped (listed in {output}.progress.jsonl; retried on the next run):");
            foreach (var f in failures) Console.Error.WriteLine($"  {f.Input.Name}: {f.Error}");
        }
    }

    // ---- --measure ----------------------------------------------------------------------------

    private sealed record BareTiming(List<EegWindow> Windows, double ReadSeconds, double EncodeSeconds);

    /// <summary>
    /// The bare encoder on the same windows: all windows read into memory first (timed separately),
    /// then <see cref="EegDinoEncoder.EncodeBatch"/> over them in batches of the same size, filled
    /// across recordings as the job does.
    /// </summary>
    private static BareTiming MeasureBareEncoder(EegDinoEncoder encoder, IReadOnlyList<EegRecordingSource> inputs, EmbeddingJobOptions options, List<EegWindow>? preloaded = null)
    {
        var watch = Stopwatch.StartNew();
        List<EegWindow> windows = preloaded ?? [];
        if (preloaded is null)
        {
            var mapper = new MontageMapper(options.Montage);
            var windower = new EegWindower(options.Windows);
            foreach (var input in inputs)
            {
                try
                {
                    using var reader = EdfReader.Open(input.Path);
                    windows.AddRange(windower.GetWindows(reader, mapper.Map(reader.Signals), options.Filters));
                }
                catch (Exception e) when (e is EegDinoException or IOException)
                {
                    // the job reports it
                }
            }
        }
        double readSeconds = watch.Elapsed.TotalSeconds;
        if (windows.Count == 0) return new BareTiming(windows, readSeconds, 0);

        int b = options.BatchSize;
        // Warm-up (first forward passes allocate and pick kernels).
        EncodeRange(encoder, windows, 0, Math.Min(b, windows.Count));
        watch.Restart();
        for (int start = 0; start < windows.Count;)
        {
            int end = start + 1;
            while (end < windows.Count && end - start < b && SameShape(windows[start], windows[end])) end++;
            EncodeRange(encoder, windows, start, end);
            start = end;
        }
        return new BareTiming(windows, readSeconds, watch.Elapsed.TotalSeconds);
    }

    private static bool SameShape(EegWindow a, EegWindow b) => a.Channels.Count == b.Channels.Count && a.NumberOfSamples == b.NumberOfSamples;

    private static void EncodeRange(EegDinoEncoder encoder, List<EegWindow> windows, int start, int end)
    {
        int size = windows[start].Signal.Length;
        var buffer = new float[(end - start) * size];
        for (int i = start; i < end; i++) windows[i].Signal.CopyTo(buffer, (i - start) * size);
        _ = encoder.EncodeBatch(buffer, end - start, windows[start].Channels.Count);
    }

    private static void PrintMeasurement(BareTiming before, BareTiming after, EmbeddingJobResult job, double windowSeconds)
    {
        var ci = CultureInfo.InvariantCulture;
        double eeg = before.Windows.Count * windowSeconds;
        double bareSeconds = (before.EncodeSeconds + after.EncodeSeconds) / 2;
        double bareRate = eeg / bareSeconds, jobRate = job.EegSecondsEncoded / job.Elapsed.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine(string.Create(ci, $"throughput on {before.Windows.Count} windows ({eeg / 3600:F2} h of EEG), hours of EEG per hour:"));
        Console.WriteLine(string.Create(ci, $"  bare encoder (EncodeBatch on pre-loaded windows; runs before/after the job {before.EncodeSeconds:F1} s / {after.EncodeSeconds:F1} s): {bareRate:F0} h/h"));
        Console.WriteLine(string.Create(ci, $"  eegdino embed (read + resample + encode + write, {job.Elapsed.TotalSeconds:F1} s):                 {jobRate:F0} h/h = {100 * jobRate / bareRate:F1}% of the bare encoder"));
        Console.WriteLine(string.Create(ci, $"  reading + resampling alone, serial: {before.ReadSeconds:F1} s ({eeg / before.ReadSeconds:F0} h/h)"));
    }
}

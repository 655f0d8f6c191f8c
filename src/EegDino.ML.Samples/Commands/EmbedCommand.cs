using EegDino.ML.Corpus;
using System.Diagnostics;
using System.Globalization;
using EegDino.ML.Eeg;
using EegDino.ML.Samples.Embedding;
using Spectre.Console;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino embed</c>: one embedding row per window for a corpus of EDF/BDF recordings, written to
/// Parquet or CSV; reading overlaps inference, interrupted runs resume, bad files are skipped and
/// reported. The work is done by <see cref="EegEmbeddingJob"/> in the library.
/// </summary>
internal sealed class EmbedCommand : ICommand
{
    public string Name => "embed";

    public string Summary => "Embed every window of EDF/BDF recordings (files or folders) into a Parquet or CSV table; resumable.";

    public string Usage => """
        usage: eegdino embed FILES-OR-FOLDERS... --model PATH --output OUT [--format parquet|csv]
                             [--window-seconds 10] [--stride-seconds S] [--batch-size 16] [--use-present-channels]
                             [--embedding pooled-mean|global-token] [--keep-parts] [--measure]
                             [--scale S] [--config CONFIG.json] [--source student|teacher] [--device cpu|cuda]

          FILES-OR-FOLDERS        .edf/.bdf files, or folders searched recursively for them
          --model                 the model (as in eegdino encode)
          --output                the table; OUT.progress.jsonl and OUT.parts/ next to it make the run resumable
          --format                parquet or csv (default: csv if OUT ends in .csv, else parquet)
          --window-seconds        window length (default 10 s = 10 patches at 200 Hz)
          --stride-seconds        step between windows (default: the window length, no overlap)
          --batch-size            windows per forward pass (default 16)
          --use-present-channels  accept recordings missing some of the 19 electrodes (they fill the first slots)
          --embedding             pooled-mean (mean patch token, default) or global-token
          --keep-parts            keep the per-recording part files after a complete run
          --measure               also time the bare encoder on the same windows pre-loaded in memory and print
                                  both throughputs in hours of EEG per hour (needs a fresh OUT; holds all windows in memory)
          --scale, --config, --source, --device   model options as in eegdino encode

        Columns: recording, start_seconds, label, flagged, crosses_gap, flat_channels, saturated_channels,
        emb_0 .. emb_{D-1} (float32). Run the same command again to resume after an interruption (Ctrl+C).
        """;

    public int Run(CommandArgs args)
    {
        string model = args.Required("model");
        string output = args.Required("output");
        string format = args.Optional("format") ?? (output.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? "csv" : "parquet");
        if (format is not ("parquet" or "csv")) throw new UsageException($"--format is '{format}'; parquet or csv was expected.");
        double windowSeconds = args.Float("window-seconds", 10);
        double strideSeconds = args.Float("stride-seconds", (float)windowSeconds);
        int batchSize = args.Int("batch-size", 16);
        if (batchSize < 1) throw new UsageException($"--batch-size is {batchSize}; at least 1 was expected.");
        bool present = args.Flag("use-present-channels");
        bool keepParts = args.Flag("keep-parts");
        bool measure = args.Flag("measure");
        EegDinoEmbeddingKind kind = args.Optional("embedding") switch
        {
            null or "pooled-mean" => EegDinoEmbeddingKind.PooledMean,
            "global-token" => EegDinoEmbeddingKind.GlobalToken,
            string other => throw new UsageException($"--embedding is '{other}'; pooled-mean or global-token was expected."),
        };
        var modelOptions = ModelOptions.FromArgs(args);
        args.EnsureAllUsed();
        if (args.Positional.Count == 0) throw new UsageException("no FILES-OR-FOLDERS were given.");

        IReadOnlyList<EegRecordingSource> inputs = EegEmbeddingJob.FindRecordings(args.Positional);
        if (inputs.Count == 0) throw new UsageException($"no .edf or .bdf files were found in {string.Join(", ", args.Positional)}.");

        var modelInfo = new FileInfo(model);
        var options = new EmbeddingJobOptions
        {
            Windows = new EegWindowOptions { WindowSeconds = windowSeconds, StrideSeconds = strideSeconds },
            Montage = new MontageOptions { UseOnlyPresentChannels = present },
            BatchSize = batchSize,
            Embedding = kind,
            KeepParts = keepParts,
            ModelIdentity = string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFullPath(model)} {(modelInfo.Exists ? modelInfo.Length : 0)} {(modelInfo.Exists ? modelInfo.LastWriteTimeUtc.Ticks : 0)} scale={modelOptions.InputScale} source={modelOptions.WeightSource}"),
        };

        using var encoder = EegDinoEncoder.Load(model, modelOptions);
        Console.WriteLine($"model: {encoder.Description}");
        Console.WriteLine($"{inputs.Count} recordings; {windowSeconds.ToString(CultureInfo.InvariantCulture)} s windows every {strideSeconds.ToString(CultureInfo.InvariantCulture)} s; batch {batchSize}; {kind} embedding of width {encoder.EmbeddingDim}; {format} -> {output}");

        Func<string, int, IEmbeddingTableWriter> createWriter = format == "csv"
            ? (path, dim) => new CsvEmbeddingWriter(path, dim)
            : (path, dim) => new ParquetEmbeddingWriter(path, dim);

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl+C ends the process
            e.Cancel = true;
            cts.Cancel();
            Console.Error.WriteLine("interrupt: stopping after the current batch; run the same command again to resume.");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            BareTiming? bare = null;
            if (measure)
            {
                if (File.Exists(output + ".progress.jsonl") || File.Exists(output))
                    throw new UsageException($"--measure times a whole run; {output} or its progress log exists already. Use a fresh --output.");
                bare = MeasureBareEncoder(encoder, inputs, options);
            }

            EmbeddingJobResult result = RunJob(encoder, options, output, createWriter, inputs, cts.Token);
            PrintSummary(result, output);

            if (bare is not null && result.Assembled)
            {
                BareTiming again = MeasureBareEncoder(encoder, inputs, options, preloaded: bare.Windows);
                PrintMeasurement(bare, again, result, windowSeconds);
            }
            if (!result.Assembled) return 130;
            return result.Failures.Any() ? 1 : 0;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"eegdino embed: {e.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static EmbeddingJobResult RunJob(EegDinoEncoder encoder, EmbeddingJobOptions options, string output,
        Func<string, int, IEmbeddingTableWriter> createWriter, IReadOnlyList<EegRecordingSource> inputs, CancellationToken token)
    {
        int failed = 0;
        void ReportFailure(RecordingOutcome o)
        {
            if (o.Status != RecordingStatus.Failed) return;
            failed++;
            Console.Error.WriteLine($"skipped {o.Input.Name}: {o.Error}");
        }

        bool interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            int done = 0;
            long windows = 0;
            var watch = Stopwatch.StartNew();
            var job = new EegEmbeddingJob(encoder, options, output, createWriter)
            {
                BatchEncoded = n => windows += n,
                RecordingFinished = o =>
                {
                    done++;
                    ReportFailure(o);
                    if (o.Status != RecordingStatus.Failed)
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"[{done}/{inputs.Count}] {o.Input.Name}: {o.Windows} windows{(o.Status == RecordingStatus.Resumed ? " (done earlier)" : "")}; {windows} encoded in {watch.Elapsed.TotalSeconds:F1} s"));
                },
            };
            return job.Run(inputs, token);
        }

        EmbeddingJobResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("recordings", maxValue: inputs.Count);
                long windows = 0;
                var watch = Stopwatch.StartNew();
                var job = new EegEmbeddingJob(encoder, options, output, createWriter)
                {
                    BatchEncoded = n =>
                    {
                        windows += n;
                        task.Description = string.Create(CultureInfo.InvariantCulture,
                            $"{windows} windows, {windows / Math.Max(watch.Elapsed.TotalSeconds, 1e-3):F1}/s, {failed} failed");
                    },
                    RecordingFinished = o => { ReportFailure(o); task.Increment(1); },
                };
                result = job.Run(inputs, token);
            });
        return result!;
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
                    windows.AddRange(windower.GetWindows(reader, mapper.Map(reader.Signals)));
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

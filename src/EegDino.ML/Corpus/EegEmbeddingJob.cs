using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using EegDino.ML.Eeg;
using EegDino.ML.MLNet;
using EegDino.ML.Model;

namespace EegDino.ML.Corpus;

/// <summary>
/// Embeds a corpus of EDF/BDF recordings into one table (one row per window), resumably: what
/// <c>eegdino embed</c> runs. Each window goes the same road as in the ML.NET loader
/// (<see cref="EegDinoCatalog.LoadFromEegRecordings(Microsoft.ML.DataOperationsCatalog, IEnumerable{EegRecordingSource}, EegLoaderOptions)"/>):
/// same recordings, names, windows and labels.
/// </summary>
/// <remarks>
/// <para>Pipeline: a producer task reads recording after recording (<see cref="RecordingWindows"/>)
/// and passes chunks of windows through a bounded channel (<see cref="EmbeddingJobOptions.ReadAheadBatches"/>
/// batches) to the encoder loop, which fills batches across recording boundaries (<see cref="WindowBatcher{TTag}"/>).
/// Reading the next recordings thus overlaps with inference, and memory stays flat whatever the corpus size.</para>
/// <para>Resume: each finished recording's rows go to a part file <c>OUT.parts/&lt;hash of path&gt;.part</c>
/// (temporary name, then rename), then a line is appended to the progress log <c>OUT.progress.jsonl</c>
/// (<see cref="ProgressLog"/>) and flushed to disk. The log's first line holds the settings; a later
/// run with other settings is refused. A run skips recordings the log lists as done whose part file
/// exists and whose size and time stamp are unchanged; failed recordings are retried. A run over the
/// same inputs as a complete, failure-free run whose recordings are all unchanged does nothing. When
/// every recording has been handled, the output is assembled from the part files in input order
/// (temporary name, then rename); the part files are deleted after a run with no failures unless
/// <see cref="EmbeddingJobOptions.KeepParts"/>.</para>
/// <para>Safety: no file the job writes may be one of the inputs (checked through symbolic links,
/// before anything is written), and one run at a time holds an output (<c>OUT.lock</c>); a second run
/// on the same output is refused with a message. Bad files (unreadable header, unmappable montage,
/// non-finite samples, shorter than one window) are reported through the outcome callback and the
/// log, and skipped.</para>
/// </remarks>
public sealed class EegEmbeddingJob
{
    private readonly EegDinoEncoder _encoder;
    private readonly EmbeddingJobOptions _options;
    private readonly OutputPaths _paths;
    private readonly Func<string, int, IEmbeddingTableWriter> _createWriter;

    /// <summary>Creates a job.</summary>
    /// <param name="encoder">The encoder (not disposed by the job).</param>
    /// <param name="options">Options.</param>
    /// <param name="outputPath">The final table; the log, lock and parts folder are named after it.</param>
    /// <param name="createWriter">Creates the table writer for a path and embedding width (e.g. <see cref="CsvEmbeddingWriter"/>).</param>
    /// <exception cref="ArgumentException">An option is out of range, or the output is a folder.</exception>
    public EegEmbeddingJob(EegDinoEncoder encoder, EmbeddingJobOptions options, string outputPath, Func<string, int, IEmbeddingTableWriter> createWriter)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(createWriter);
        options.Validate();
        _encoder = encoder;
        _options = options;
        _paths = new OutputPaths(outputPath);
        _createWriter = createWriter;
    }

    /// <summary>The progress log next to the output: <c>OUT.progress.jsonl</c>.</summary>
    public string ProgressPath => _paths.ProgressLog;

    /// <summary>The folder of per-recording part files: <c>OUT.parts</c>.</summary>
    public string PartsFolder => _paths.PartsFolder;

    /// <summary>Called on the calling thread after each recording is finished, resumed or failed.</summary>
    public Action<RecordingOutcome>? RecordingFinished { get; init; }

    /// <summary>Called on the calling thread after each forward pass with the number of windows it encoded.</summary>
    public Action<int>? BatchEncoded { get; init; }

    /// <summary>
    /// Lists recordings: files as given (named by their file name), folders searched recursively for
    /// <c>*.edf</c> and <c>*.bdf</c> (any case) in ordinal order of their path relative to the folder,
    /// which is also their name. The ML.NET loader lists folders the same way.
    /// </summary>
    /// <param name="filesOrFolders">Files and folders.</param>
    /// <returns>The recordings, in output order.</returns>
    /// <exception cref="FileNotFoundException">An argument is neither a file nor a folder.</exception>
    public static IReadOnlyList<EegRecordingSource> FindRecordings(IEnumerable<string> filesOrFolders) => RecordingDiscovery.Find(filesOrFolders);

    /// <summary>Runs the job: embeds what is not done yet, then assembles the output.</summary>
    /// <param name="inputs">The recordings, in output order (names as in <see cref="EegRecordingSource.Name"/>);
    /// with <see cref="EmbeddingJobOptions.Shard"/>, the whole corpus, of which the shard's share is embedded.</param>
    /// <param name="cancellationToken">Stops after the current batch; finished recordings stay done.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="ArgumentException">An output file would replace an input.</exception>
    /// <exception cref="InvalidOperationException">The progress log was written with other settings.</exception>
    /// <exception cref="IOException">Another run holds the output.</exception>
    public EmbeddingJobResult Run(IReadOnlyList<EegRecordingSource> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var watch = Stopwatch.StartNew();
        _paths.CheckNotAnInput(inputs);
        if (_options.Shard is { } shard) inputs = shard.Select(inputs);
        Directory.CreateDirectory(Path.GetDirectoryName(_paths.Output)!);
        using var outputLock = OutputLock.Acquire(_paths.Lock, _paths.Output);
        string settings = SettingsJson();
        var log = ProgressLog.Open(_paths.ProgressLog, settings);
        string setHash = Hash(string.Join('\n', inputs.Select(i => i.Path)));

        if (log.LastAssembly is { } a && a.InputSet == setHash && a.Failed == 0 && File.Exists(_paths.Output)
            && inputs.All(i => log.Done.TryGetValue(i.Path, out var d) && d.Matches(i.Path)))
        {
            log.Dispose();
            var outcomes = inputs.Select(i => new RecordingOutcome(i, RecordingStatus.Resumed, log.Done.TryGetValue(i.Path, out var d) ? (int)d.Rows : 0, null)).ToList();
            foreach (var o in outcomes) RecordingFinished?.Invoke(o);
            return new EmbeddingJobResult { Recordings = outcomes, RowsWritten = a.Rows, Elapsed = watch.Elapsed, Assembled = true, AlreadyComplete = true };
        }

        Directory.CreateDirectory(_paths.PartsFolder);
        var outcomesByIndex = new RecordingOutcome?[inputs.Count];
        var todo = new List<int>();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (log.Done.TryGetValue(inputs[i].Path, out var done) && File.Exists(PartPath(inputs[i])) && done.Matches(inputs[i].Path))
            {
                outcomesByIndex[i] = new RecordingOutcome(inputs[i], RecordingStatus.Resumed, (int)done.Rows, null);
                RecordingFinished?.Invoke(outcomesByIndex[i]!);
            }
            else
            {
                todo.Add(i);
            }
        }

        long windowsEncoded = 0;
        bool cancelled;
        using (log)
        {
            cancelled = !Embed(inputs, todo, log, outcomesByIndex, ref windowsEncoded, cancellationToken);
        }
        double eegSeconds = windowsEncoded * _options.Windows.WindowSeconds;
        var finished = outcomesByIndex.Where(o => o is not null).Select(o => o!).ToList();
        if (cancelled)
            return new EmbeddingJobResult { Recordings = finished, WindowsEncoded = windowsEncoded, EegSecondsEncoded = eegSeconds, Elapsed = watch.Elapsed };

        long rows = Assemble(inputs, finished);
        int failed = finished.Count(o => o.Status == RecordingStatus.Failed);
        using (var log2 = ProgressLog.Open(_paths.ProgressLog, settings))
            log2.Append(new LogEntry { Kind = "assembled", Output = _paths.Output, Rows = rows, Failed = failed, InputSet = setHash });
        if (failed == 0 && !_options.KeepParts)
        {
            foreach (var input in inputs) File.Delete(PartPath(input));
            if (!Directory.EnumerateFileSystemEntries(_paths.PartsFolder).Any()) Directory.Delete(_paths.PartsFolder);
        }
        return new EmbeddingJobResult
        {
            Recordings = finished, WindowsEncoded = windowsEncoded, RowsWritten = rows, EegSecondsEncoded = eegSeconds,
            Elapsed = watch.Elapsed, Assembled = true,
        };
    }

    private string PartPath(EegRecordingSource input) => Path.Combine(_paths.PartsFolder, Hash(input.Path)[..20] + ".part");

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    /// <summary>Everything that changes the rows: a resumed run must have the same (the first line of the progress log).</summary>
    private string SettingsJson()
    {
        var w = _options.Windows;
        var settings = new Dictionary<string, object?>
        {
            ["window_seconds"] = w.WindowSeconds,
            ["stride_seconds"] = w.StrideSeconds,
            ["mode"] = w.Mode.ToString(),
            ["annotation_labels"] = w.AnnotationLabels is null ? null : string.Join('|', w.AnnotationLabels),
            ["annotation_offset_seconds"] = w.AnnotationOffsetSeconds,
            ["samples_per_second"] = w.TargetSamplesPerSecond,
            ["channel_order"] = string.Join(' ', _options.Montage.ChannelOrder),
            ["use_present_channels"] = _options.Montage.UseOnlyPresentChannels,
            ["embedding"] = _options.Embedding.ToString(),
            ["model"] = _options.ModelIdentity,
        };
        // Only sharded runs carry the count, so that logs of unsharded runs written before shards existed still resume.
        if (_options.Shard is { } shard) settings["shard_count"] = shard.Count;
        // Likewise only runs with filters carry them (their invariant text form).
        if (!_options.Filters.IsEmpty) settings["filters"] = _options.Filters.ToString();
        return JsonSerializer.Serialize(settings);
    }

    // ---- the pipeline -------------------------------------------------------------------------

    /// <summary>A chunk of one recording's windows, or the end (or failure) of a recording.</summary>
    private sealed record Chunk(int Input, List<LabelledWindow>? Windows, int? TotalWindows, string? Error);

    private sealed class Pending(int input)
    {
        public int Input { get; } = input;
        public List<EmbeddingRow?> Rows { get; } = [];
        public int Encoded;
        public int? Total;
        public bool Failed;
    }

    /// <returns>False if cancelled.</returns>
    private bool Embed(IReadOnlyList<EegRecordingSource> inputs, List<int> todo, ProgressLog log, RecordingOutcome?[] outcomes,
        ref long windowsEncoded, CancellationToken cancellationToken)
    {
        if (todo.Count == 0) return true;
        long encoded = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(_options.ReadAheadBatches)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        Task producer = Task.Run(() => Produce(inputs, todo, channel.Writer, cts.Token), CancellationToken.None);

        var pending = new Dictionary<int, Pending>();
        int dim = _encoder.EmbeddingDim;
        bool cancelled = false;

        void Finish(Pending p)
        {
            pending.Remove(p.Input);
            EegRecordingSource input = inputs[p.Input];
            var rows = p.Rows.Select(r => r!).ToList();
            EmbeddingPartFile.Write(PartPath(input), dim, rows);
            var info = new FileInfo(input.Path);
            log.Append(new LogEntry
            {
                Kind = "done", Path = input.Path, Name = input.Name, Rows = rows.Count, Size = info.Length, ModifiedTicks = info.LastWriteTimeUtc.Ticks,
            });
            outcomes[p.Input] = new RecordingOutcome(input, RecordingStatus.Embedded, rows.Count, null);
            RecordingFinished?.Invoke(outcomes[p.Input]!);
        }

        WindowBatcher<(Pending Recording, int Row, string Label)>? batcher = null;
        void Fail(Pending p, string error)
        {
            p.Failed = true;
            pending.Remove(p.Input);
            batcher!.RemoveAll(q => q.Recording == p);
            EegRecordingSource input = inputs[p.Input];
            log.Append(new LogEntry { Kind = "failed", Path = input.Path, Name = input.Name, Error = error });
            outcomes[p.Input] = new RecordingOutcome(input, RecordingStatus.Failed, 0, error);
            RecordingFinished?.Invoke(outcomes[p.Input]!);
        }

        batcher = new(_encoder.Runtime, EmbeddingComputation.OutputOf(_options.Embedding), _options.BatchSize, (batch, embeddings, width) =>
        {
            for (int i = 0; i < batch.Count; i++)
            {
                var ((p, row, label), w) = batch[i];
                p.Rows[row] = new EmbeddingRow(inputs[p.Input].Name, w.StartSeconds, label, w.CrossesGap,
                    string.Join(' ', w.FlatChannels), string.Join(' ', w.SaturatedChannels), embeddings.AsSpan(i * width, width).ToArray());
                p.Encoded++;
            }
            encoded += batch.Count;
            BatchEncoded?.Invoke(batch.Count);
            foreach (Pending p in batch.Select(b => b.Tag.Recording).Distinct().ToList())
            {
                if (!p.Failed && p.Total == p.Encoded) Finish(p);
            }
        });

        try
        {
            var reader = channel.Reader;
            while (reader.WaitToReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out Chunk? chunk))
                {
                    if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                    if (!pending.TryGetValue(chunk.Input, out Pending? p)) pending[chunk.Input] = p = new Pending(chunk.Input);
                    if (chunk.Error is not null) { Fail(p, chunk.Error); continue; }
                    if (chunk.Windows is not null)
                    {
                        foreach (LabelledWindow w in chunk.Windows)
                        {
                            p.Rows.Add(null);
                            batcher.Add((p, p.Rows.Count - 1, w.Label), w.Window);
                            if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                        }
                        if (cancelled) break;
                    }
                    if (chunk.TotalWindows is int total)
                    {
                        p.Total = total;
                        if (p.Encoded == total) Finish(p);
                    }
                }
                if (cancelled) break;
            }
            // A cancellation raised while the last chunks were processed must not flush the queue either.
            cancelled |= cancellationToken.IsCancellationRequested;
            if (!cancelled) batcher.Flush();
        }
        finally
        {
            cts.Cancel();
            // Drain so a producer blocked on a full channel can see the cancellation and end.
            while (channel.Reader.TryRead(out _)) { }
            try { producer.GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
            windowsEncoded = encoded;
        }
        return !cancelled;
    }

    private void Produce(IReadOnlyList<EegRecordingSource> inputs, List<int> todo, ChannelWriter<Chunk> writer, CancellationToken token)
    {
        var recordings = new RecordingWindows(_options.Montage, _options.Windows, _options.Filters);
        int batch = _options.BatchSize;
        try
        {
            foreach (int index in todo)
            {
                token.ThrowIfCancellationRequested();
                string? error = null;
                int count = 0;
                try
                {
                    var chunk = new List<LabelledWindow>(batch);
                    foreach (LabelledWindow w in recordings.Read(inputs[index]))
                    {
                        chunk.Add(w);
                        count++;
                        if (chunk.Count == batch)
                        {
                            writer.WriteAsync(new Chunk(index, chunk, null, null), token).AsTask().GetAwaiter().GetResult();
                            chunk = new List<LabelledWindow>(batch);
                        }
                    }
                    if (chunk.Count > 0) writer.WriteAsync(new Chunk(index, chunk, null, null), token).AsTask().GetAwaiter().GetResult();
                    if (count == 0) error = NoWindowReason(recordings, inputs[index]);
                }
                catch (Exception e) when (e is EegDinoException or IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException or OverflowException)
                {
                    error = $"{e.GetType().Name}: {e.Message}";
                }
                writer.WriteAsync(new Chunk(index, null, error is null ? count : null, error), token).AsTask().GetAwaiter().GetResult();
            }
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e is OperationCanceledException ? null : e);
            if (e is not OperationCanceledException) throw;
        }
    }

    /// <summary>Why a recording gave no window: shorter than one fixed window is a failure; an annotation recording without a matching annotation is not.</summary>
    private string? NoWindowReason(RecordingWindows recordings, EegRecordingSource input)
    {
        if (_options.Windows.Mode != EegWindowMode.Fixed) return null;
        double duration = recordings.ShapeOf(input.Path).DurationSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"{input.Name} is {duration:0.###} s long, shorter than one {_options.Windows.WindowSeconds:R}-s window: no window fits.");
    }

    private long Assemble(IReadOnlyList<EegRecordingSource> inputs, List<RecordingOutcome> outcomes)
    {
        var ok = outcomes.Where(o => o.Status != RecordingStatus.Failed).Select(o => o.Input.Path).ToHashSet(StringComparer.Ordinal);
        long rows = 0;
        using (IEmbeddingTableWriter writer = _createWriter(_paths.Temporary, _encoder.EmbeddingDim))
        {
            foreach (EegRecordingSource input in inputs)
            {
                if (!ok.Contains(input.Path)) continue;
                var (dim, part) = EmbeddingPartFile.Read(PartPath(input));
                if (dim != _encoder.EmbeddingDim)
                    throw new InvalidDataException($"{PartPath(input)} holds embeddings of width {dim}; the model's is {_encoder.EmbeddingDim}.");
                writer.WriteRows(part);
                rows += part.Count;
            }
        }
        File.Move(_paths.Temporary, _paths.Output, overwrite: true);
        return rows;
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace EegDino.ML.Eeg;

/// <summary>A recording to embed: its path and the name written in the <c>recording</c> column.</summary>
/// <param name="Path">File path.</param>
/// <param name="Name">Name in the output (path relative to the folder it was found in, or the file name).</param>
internal sealed record EmbeddingInput(string Path, string Name);

/// <summary>Options of <see cref="EegEmbeddingJob"/>.</summary>
internal sealed class EmbeddingJobOptions
{
    /// <summary>Window placement and output rate (default: 10 s windows, 10 s stride, 200 Hz).</summary>
    public EegWindowOptions Windows { get; init; } = new();

    /// <summary>Montage options (default: all 19 electrodes required).</summary>
    public MontageOptions Montage { get; init; } = new();

    /// <summary>Windows per forward pass (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Which summary of the encoder output is written (default the pooled mean).</summary>
    public EmbeddingKind Embedding { get; init; } = EmbeddingKind.PooledMean;

    /// <summary>Batches of windows read ahead of the encoder (bounded: memory stays flat; default 4).</summary>
    public int ReadAheadBatches { get; init; } = 4;

    /// <summary>Keep the part files after a complete run without failures (default: delete them).</summary>
    public bool KeepParts { get; init; }

    /// <summary>
    /// Identifies the model (e.g. full path, size and time stamp of the weights, and the input
    /// scale). Part of the settings a resumed run must share with the interrupted one.
    /// </summary>
    public string ModelIdentity { get; init; } = "";
}

/// <summary>What happened to one recording in a run.</summary>
/// <param name="Input">The recording.</param>
/// <param name="Status">Embedded in this run, resumed from an earlier run, or failed.</param>
/// <param name="Windows">Rows written (0 when failed).</param>
/// <param name="Error">The error message when failed.</param>
internal sealed record RecordingOutcome(EmbeddingInput Input, RecordingStatus Status, int Windows, string? Error);

/// <summary>Outcome of one recording.</summary>
internal enum RecordingStatus
{
    /// <summary>Embedded in this run.</summary>
    Embedded,

    /// <summary>Finished by an earlier run (its part file was reused).</summary>
    Resumed,

    /// <summary>Could not be read or embedded; skipped.</summary>
    Failed,
}

/// <summary>Summary of a run of <see cref="EegEmbeddingJob"/>.</summary>
internal sealed class EmbeddingJobResult
{
    /// <summary>Every recording's outcome, in input order (recordings not reached before a cancellation are absent).</summary>
    public required IReadOnlyList<RecordingOutcome> Recordings { get; init; }

    /// <summary>Windows encoded in this run (resumed recordings not counted).</summary>
    public long WindowsEncoded { get; init; }

    /// <summary>Rows in the output file (0 if it was not assembled).</summary>
    public long RowsWritten { get; init; }

    /// <summary>Seconds of EEG encoded in this run: windows x window length.</summary>
    public double EegSecondsEncoded { get; init; }

    /// <summary>Wall time of the run, assembly included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>True if the output file was written (the run was not cancelled).</summary>
    public bool Assembled { get; init; }

    /// <summary>True if an earlier run had already completed the same inputs and output: nothing was done.</summary>
    public bool AlreadyComplete { get; init; }

    /// <summary>The failed recordings.</summary>
    public IEnumerable<RecordingOutcome> Failures => Recordings.Where(r => r.Status == RecordingStatus.Failed);
}

/// <summary>
/// Embeds a corpus of EDF/BDF recordings into one table (one row per window), resumably.
/// </summary>
/// <remarks>
/// <para>Pipeline: a producer task reads, montage-maps, resamples and windows recording after
/// recording and passes chunks of windows through a bounded channel (<see cref="EmbeddingJobOptions.ReadAheadBatches"/>
/// batches) to the encoder loop, which fills batches across recording boundaries. Reading the next
/// recordings thus overlaps with inference, and memory stays flat whatever the corpus size.</para>
/// <para>Resume: each finished recording's rows go to a part file <c>OUT.parts/&lt;hash of path&gt;.part</c>
/// (temporary name, then rename), then a line is appended to the progress log <c>OUT.progress.jsonl</c>
/// and flushed to disk. The log's first line holds the settings (windows, montage, embedding, model);
/// a later run with other settings is refused. A run skips recordings the log lists as done whose part
/// file exists and whose size and time stamp are unchanged; failed recordings are retried. A run over
/// the same inputs as a complete, failure-free run whose recordings are all unchanged does nothing. A torn
/// last line (crash while appending) is ignored. When every recording has been handled the output is
/// assembled from the part files in input order (temporary name, then rename); the part files are
/// deleted after a run with no failures unless <see cref="EmbeddingJobOptions.KeepParts"/>.</para>
/// <para>Bad files (unreadable header, unmappable montage, non-finite samples, ...) are reported through
/// the outcome callback and the log, and skipped.</para>
/// </remarks>
internal sealed class EegEmbeddingJob
{
    private readonly EegDinoEncoder _encoder;
    private readonly EmbeddingJobOptions _options;
    private readonly string _output;
    private readonly Func<string, int, IEmbeddingTableWriter> _createWriter;

    /// <summary>Creates a job.</summary>
    /// <param name="encoder">The encoder (not disposed by the job).</param>
    /// <param name="options">Options.</param>
    /// <param name="outputPath">The final table; the log and parts folder are named after it.</param>
    /// <param name="createWriter">Creates the table writer for a path and embedding width.</param>
    public EegEmbeddingJob(EegDinoEncoder encoder, EmbeddingJobOptions options, string outputPath, Func<string, int, IEmbeddingTableWriter> createWriter)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentNullException.ThrowIfNull(createWriter);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"BatchSize is {options.BatchSize}; at least 1 was expected.");
        if (options.ReadAheadBatches < 1) throw new ArgumentOutOfRangeException(nameof(options), $"ReadAheadBatches is {options.ReadAheadBatches}; at least 1 was expected.");
        _ = new EegWindower(options.Windows); // validates the window options now rather than per file
        _encoder = encoder;
        _options = options;
        _output = Path.GetFullPath(outputPath);
        _createWriter = createWriter;
    }

    /// <summary>The progress log next to the output: <c>OUT.progress.jsonl</c>.</summary>
    public string ProgressPath => _output + ".progress.jsonl";

    /// <summary>The folder of per-recording part files: <c>OUT.parts</c>.</summary>
    public string PartsFolder => _output + ".parts";

    /// <summary>Called on the calling thread after each recording is finished, resumed or failed.</summary>
    public Action<RecordingOutcome>? RecordingFinished { get; init; }

    /// <summary>Called on the calling thread after each forward pass with the number of windows it encoded.</summary>
    public Action<int>? BatchEncoded { get; init; }

    /// <summary>
    /// Lists recordings: files as given, folders searched recursively for <c>*.edf</c> and <c>*.bdf</c>
    /// (any case), each folder's files sorted by relative path. Names are relative to the folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">An argument is neither a file nor a folder.</exception>
    public static List<EmbeddingInput> FindRecordings(IEnumerable<string> filesOrFolders)
    {
        var result = new List<EmbeddingInput>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string item in filesOrFolders)
        {
            if (File.Exists(item))
            {
                string full = Path.GetFullPath(item);
                if (seen.Add(full)) result.Add(new EmbeddingInput(full, Path.GetFileName(full)));
            }
            else if (Directory.Exists(item))
            {
                string root = Path.GetFullPath(item);
                var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                    .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".edf" or ".bdf")
                    .Select(f => (Full: f, Name: Path.GetRelativePath(root, f).Replace('\\', '/')))
                    .OrderBy(f => f.Name, StringComparer.Ordinal);
                foreach (var (full, name) in files)
                    if (seen.Add(full)) result.Add(new EmbeddingInput(full, name));
            }
            else
            {
                throw new FileNotFoundException($"{item} is neither a file nor a folder.", item);
            }
        }
        return result;
    }

    /// <summary>Runs the job: embeds what is not done yet, then assembles the output.</summary>
    /// <param name="inputs">The recordings, in output order.</param>
    /// <param name="cancellationToken">Stops after the current batch; finished recordings stay done.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="InvalidOperationException">The progress log was written with other settings.</exception>
    public EmbeddingJobResult Run(IReadOnlyList<EmbeddingInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(Path.GetDirectoryName(_output)!);
        var log = ProgressLog.Open(ProgressPath, SettingsJson());
        string setHash = Hash(string.Join('\n', inputs.Select(i => i.Path)));

        if (log.LastAssembly is { } a && a.InputSet == setHash && a.Failed == 0 && File.Exists(_output)
            && inputs.All(i => log.Done.TryGetValue(i.Path, out var d) && d.Matches(i.Path)))
        {
            log.Dispose();
            var outcomes = inputs.Select(i => new RecordingOutcome(i, RecordingStatus.Resumed, log.Done.TryGetValue(i.Path, out var d) ? (int)d.Rows : 0, null)).ToList();
            foreach (var o in outcomes) RecordingFinished?.Invoke(o);
            return new EmbeddingJobResult { Recordings = outcomes, RowsWritten = a.Rows, Elapsed = watch.Elapsed, Assembled = true, AlreadyComplete = true };
        }

        Directory.CreateDirectory(PartsFolder);
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
        using (var log2 = ProgressLog.Open(ProgressPath, SettingsJson()))
            log2.Append(new LogEntry { Kind = "assembled", Output = _output, Rows = rows, Failed = failed, InputSet = setHash });
        if (failed == 0 && !_options.KeepParts)
        {
            foreach (var input in inputs) File.Delete(PartPath(input));
            if (!Directory.EnumerateFileSystemEntries(PartsFolder).Any()) Directory.Delete(PartsFolder);
        }
        return new EmbeddingJobResult
        {
            Recordings = finished, WindowsEncoded = windowsEncoded, RowsWritten = rows, EegSecondsEncoded = eegSeconds,
            Elapsed = watch.Elapsed, Assembled = true,
        };
    }

    private string PartPath(EmbeddingInput input) => Path.Combine(PartsFolder, Hash(input.Path)[..20] + ".part");

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    private string SettingsJson()
    {
        var w = _options.Windows;
        return JsonSerializer.Serialize(new Dictionary<string, object?>
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
        });
    }

    // ---- the pipeline -------------------------------------------------------------------------

    /// <summary>A chunk of one recording's windows, or the end (or failure) of a recording.</summary>
    private sealed record Chunk(int Input, List<(EegWindow Window, string Label)>? Windows, int? TotalWindows, string? Error);

    private sealed class Pending(int input)
    {
        public int Input { get; } = input;
        public List<EmbeddingRow?> Rows { get; } = [];
        public int Encoded;
        public int? Total;
        public bool Failed;
    }

    /// <returns>False if cancelled.</returns>
    private bool Embed(IReadOnlyList<EmbeddingInput> inputs, List<int> todo, ProgressLog log, RecordingOutcome?[] outcomes,
        ref long windowsEncoded, CancellationToken cancellationToken)
    {
        if (todo.Count == 0) return true;
        long encoded = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int batch = _options.BatchSize;
        var channel = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(_options.ReadAheadBatches)
        {
            SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait,
        });
        Task producer = Task.Run(() => Produce(inputs, todo, channel.Writer, cts.Token), CancellationToken.None);

        var pending = new Dictionary<int, Pending>();
        var queue = new List<(Pending Recording, int Row, EegWindow Window, string Label)>(batch);
        int dim = _encoder.EmbeddingDim;
        float[] buffer = [];
        bool cancelled = false;

        void Finish(Pending p)
        {
            pending.Remove(p.Input);
            EmbeddingInput input = inputs[p.Input];
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

        void Fail(Pending p, string error)
        {
            p.Failed = true;
            pending.Remove(p.Input);
            queue.RemoveAll(q => q.Recording == p);
            EmbeddingInput input = inputs[p.Input];
            log.Append(new LogEntry { Kind = "failed", Path = input.Path, Name = input.Name, Error = error });
            outcomes[p.Input] = new RecordingOutcome(input, RecordingStatus.Failed, 0, error);
            RecordingFinished?.Invoke(outcomes[p.Input]!);
        }

        void EncodeQueue(int count)
        {
            var first = queue[0].Window;
            int channels = first.Channels.Count, samples = first.NumberOfSamples, size = channels * samples;
            if (buffer.Length != count * size) buffer = new float[count * size];
            for (int i = 0; i < count; i++) queue[i].Window.Signal.CopyTo(buffer, i * size);
            EegDinoEncoding encoding = _encoder.EncodeBatch(buffer, count, channels);
            float[] source = _options.Embedding == EmbeddingKind.PooledMean ? encoding.PooledMean : encoding.GlobalToken;
            for (int i = 0; i < count; i++)
            {
                var (p, row, w, label) = queue[i];
                p.Rows[row] = new EmbeddingRow(inputs[p.Input].Name, w.StartSeconds, label, w.CrossesGap,
                    string.Join(' ', w.FlatChannels), string.Join(' ', w.SaturatedChannels), source.AsSpan(i * dim, dim).ToArray());
                p.Encoded++;
            }
            var touched = queue.Take(count).Select(q => q.Recording).Distinct().ToList();
            queue.RemoveRange(0, count);
            encoded += count;
            BatchEncoded?.Invoke(count);
            foreach (Pending p in touched)
                if (!p.Failed && p.Total == p.Encoded) Finish(p);
        }

        // Windows of one batch must share channel count and length; flush when the shape changes.
        bool SameShape(EegWindow a, EegWindow b) => a.Channels.Count == b.Channels.Count && a.NumberOfSamples == b.NumberOfSamples;

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
                        foreach (var (w, label) in chunk.Windows)
                        {
                            if (queue.Count > 0 && !SameShape(queue[0].Window, w)) EncodeQueue(queue.Count);
                            p.Rows.Add(null);
                            queue.Add((p, p.Rows.Count - 1, w, label));
                            if (queue.Count == batch) EncodeQueue(batch);
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
            if (!cancelled && queue.Count > 0) EncodeQueue(queue.Count);
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

    private void Produce(IReadOnlyList<EmbeddingInput> inputs, List<int> todo, ChannelWriter<Chunk> writer, CancellationToken token)
    {
        var mapper = new MontageMapper(_options.Montage);
        var windower = new EegWindower(_options.Windows);
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
                    using EdfReader reader = EdfReader.Open(inputs[index].Path);
                    MontageMapping mapping = mapper.Map(reader.Signals);
                    IReadOnlyList<EdfAnnotation> annotations = reader.Annotations;
                    var chunk = new List<(EegWindow, string)>(batch);
                    foreach (EegWindow w in windower.GetWindows(reader, mapping))
                    {
                        int bad = Array.FindIndex(w.Signal, v => !float.IsFinite(v));
                        if (bad >= 0)
                            throw new EdfFormatException($"{inputs[index].Name}: window at {w.StartSeconds} s has a non-finite sample (channel {w.Channels[bad / w.NumberOfSamples]}).");
                        chunk.Add((w, w.Label ?? LabelOf(annotations, w.StartSeconds, _options.Windows.WindowSeconds)));
                        count++;
                        if (chunk.Count == batch)
                        {
                            writer.WriteAsync(new Chunk(index, chunk, null, null), token).AsTask().GetAwaiter().GetResult();
                            chunk = new List<(EegWindow, string)>(batch);
                        }
                    }
                    if (chunk.Count > 0) writer.WriteAsync(new Chunk(index, chunk, null, null), token).AsTask().GetAwaiter().GetResult();
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

    /// <summary>
    /// The label of a fixed window: the text of the annotation with a duration that overlaps
    /// [start, start + length) most; else the first zero-duration annotation inside it; else empty.
    /// </summary>
    internal static string LabelOf(IReadOnlyList<EdfAnnotation> annotations, double start, double length)
    {
        string best = "";
        double bestOverlap = 0;
        string? instant = null;
        double end = start + length;
        foreach (EdfAnnotation a in annotations)
        {
            if (a.DurationSeconds > 0)
            {
                double overlap = Math.Min(end, a.OnsetSeconds + a.DurationSeconds) - Math.Max(start, a.OnsetSeconds);
                if (overlap > bestOverlap) { bestOverlap = overlap; best = a.Text.Trim(); }
            }
            else if (instant is null && a.OnsetSeconds >= start && a.OnsetSeconds < end)
            {
                instant = a.Text.Trim();
            }
        }
        return bestOverlap > 0 ? best : instant ?? "";
    }

    private long Assemble(IReadOnlyList<EmbeddingInput> inputs, List<RecordingOutcome> outcomes)
    {
        var ok = outcomes.Where(o => o.Status != RecordingStatus.Failed).Select(o => o.Input.Path).ToHashSet(StringComparer.Ordinal);
        string tmp = _output + ".tmp";
        long rows = 0;
        using (IEmbeddingTableWriter writer = _createWriter(tmp, _encoder.EmbeddingDim))
        {
            foreach (EmbeddingInput input in inputs)
            {
                if (!ok.Contains(input.Path)) continue;
                var (dim, part) = EmbeddingPartFile.Read(PartPath(input));
                if (dim != _encoder.EmbeddingDim)
                    throw new InvalidDataException($"{PartPath(input)} holds embeddings of width {dim}; the model's is {_encoder.EmbeddingDim}.");
                writer.WriteRows(part);
                rows += part.Count;
            }
        }
        File.Move(tmp, _output, overwrite: true);
        return rows;
    }

    // ---- the progress log ---------------------------------------------------------------------

    /// <summary>One line of the progress log.</summary>
    internal sealed class LogEntry
    {
        [JsonPropertyName("kind")] public string Kind { get; set; } = "";
        [JsonPropertyName("settings")] public JsonElement? Settings { get; set; }
        [JsonPropertyName("path")] public string? Path { get; set; }
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("rows")] public long Rows { get; set; }
        [JsonPropertyName("size")] public long Size { get; set; }
        [JsonPropertyName("modified_ticks")] public long ModifiedTicks { get; set; }
        [JsonPropertyName("error")] public string? Error { get; set; }
        [JsonPropertyName("output")] public string? Output { get; set; }
        [JsonPropertyName("failed")] public int Failed { get; set; }
        [JsonPropertyName("input_set")] public string? InputSet { get; set; }
        [JsonPropertyName("time")] public DateTime Time { get; set; }

        /// <summary>True if the recording's size and time stamp are those logged.</summary>
        public bool Matches(string path)
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length == Size && info.LastWriteTimeUtc.Ticks == ModifiedTicks;
        }
    }

    /// <summary>The append-only progress log: the settings line, then one line per finished, failed or assembled event.</summary>
    private sealed class ProgressLog : IDisposable
    {
        private readonly FileStream _stream;

        private ProgressLog(FileStream stream) => _stream = stream;

        public Dictionary<string, LogEntry> Done { get; } = new(StringComparer.Ordinal);

        public LogEntry? LastAssembly { get; private set; }

        public static ProgressLog Open(string path, string settingsJson)
        {
            bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
            ProgressLog log;
            if (exists)
            {
                var lines = File.ReadAllLines(path);
                LogEntry? first = TryParse(lines[0]);
                if (first?.Kind != "settings" || first.Settings is null)
                    throw new InvalidDataException($"{path} does not start with a settings line; it is not a progress log of eegdino embed.");
                string logged = JsonSerializer.Serialize(first.Settings.Value);
                if (logged != JsonSerializer.Serialize(JsonDocument.Parse(settingsJson).RootElement))
                    throw new InvalidOperationException(
                        $"{path} was written by a run with other settings ({logged}); this run has {settingsJson}. Use another output, or delete the log and its .parts folder to start over.");
                log = new ProgressLog(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
                foreach (string line in lines.Skip(1))
                {
                    LogEntry? e = TryParse(line); // a torn line from a crash is skipped
                    if (e?.Path is null && e?.Kind != "assembled") continue;
                    switch (e.Kind)
                    {
                        case "done": log.Done[e.Path!] = e; log.LastAssembly = null; break;
                        case "failed": log.Done.Remove(e.Path!); log.LastAssembly = null; break;
                        case "assembled": log.LastAssembly = e; break;
                    }
                }
                // A torn last line has no newline: start the next entry on a line of its own.
                if (lines.Length > 0 && !File.ReadAllText(path).EndsWith('\n')) log.Write("\n");
            }
            else
            {
                log = new ProgressLog(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read));
                using var doc = JsonDocument.Parse(settingsJson);
                log.Append(new LogEntry { Kind = "settings", Settings = doc.RootElement.Clone() });
            }
            return log;
        }

        private static LogEntry? TryParse(string line)
        {
            if (string.IsNullOrWhiteSpace(line)) return null;
            try { return JsonSerializer.Deserialize<LogEntry>(line); }
            catch (JsonException) { return null; }
        }

        public void Append(LogEntry entry)
        {
            entry.Time = DateTime.UtcNow;
            Write(JsonSerializer.Serialize(entry, SerializerOptions) + "\n");
        }

        private void Write(string text)
        {
            _stream.Write(Encoding.UTF8.GetBytes(text));
            _stream.Flush(flushToDisk: true);
        }

        private static readonly JsonSerializerOptions SerializerOptions = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault };

        public void Dispose() => _stream.Dispose();
    }
}

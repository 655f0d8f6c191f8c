using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EegDino.ML.Corpus;

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

/// <summary>
/// The job's resume record, <c>OUT.progress.jsonl</c>: the settings line, then one line per
/// finished, failed or assembled event, each flushed to disk. A torn last line (a crash while
/// appending) is ignored. Reading a log written with other settings is refused.
/// </summary>
internal sealed class ProgressLog : IDisposable
{
    private readonly FileStream _stream;

    private ProgressLog(FileStream stream) => _stream = stream;

    /// <summary>Recordings logged as done (and not failed since), by path.</summary>
    public Dictionary<string, LogEntry> Done { get; } = new(StringComparer.Ordinal);

    /// <summary>The last assembly event, if nothing was done or failed after it.</summary>
    public LogEntry? LastAssembly { get; private set; }

    public static ProgressLog Open(string path, string settingsJson)
    {
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (!exists)
        {
            var created = new ProgressLog(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read));
            using var doc = JsonDocument.Parse(settingsJson);
            created.Append(new LogEntry { Kind = "settings", Settings = doc.RootElement.Clone() });
            return created;
        }

        var lines = File.ReadAllLines(path);
        LogEntry? first = TryParse(lines[0]);
        if (first?.Kind != "settings" || first.Settings is null)
            throw new InvalidDataException($"{path} does not start with a settings line; it is not a progress log of eegdino embed.");
        string logged = JsonSerializer.Serialize(first.Settings.Value);
        if (logged != JsonSerializer.Serialize(JsonDocument.Parse(settingsJson).RootElement))
        {
            throw new InvalidOperationException(
                $"{path} was written by a run with other settings ({logged}); this run has {settingsJson}. Use another output, or delete the log and its .parts folder to start over.");
        }
        var log = new ProgressLog(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
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

/// <summary>
/// The exclusive lock of one output (<c>OUT.lock</c>), held for a whole run so that two runs on the same
/// output cannot both re-embed and tear the log. The lock is the operating system's file lock on an
/// open file (.NET takes <c>flock</c> on Unix for <see cref="FileShare.None"/>), so it is released when
/// the process ends, however it ends; the lock file itself is deleted when the run ends normally.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    private readonly FileStream _stream;

    private OutputLock(FileStream stream) => _stream = stream;

    /// <exception cref="IOException">Another run holds the lock.</exception>
    public static OutputLock Acquire(string lockPath, string output)
    {
        try
        {
            return new OutputLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IOException(
                $"Another embedding run is writing to {output} (it holds {lockPath}); wait for it to finish, or choose another output.", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EegDino.ML.Corpus;

/// <summary>One part of a verified dataset.</summary>
/// <param name="File">The part's table file name (<c>part-KKKKK-of-NNNNN.EXT</c>).</param>
/// <param name="Shard">K.</param>
/// <param name="Rows">Rows in the table.</param>
/// <param name="Recordings">Recordings embedded into it.</param>
public sealed record DatasetPart(string File, int Shard, long Rows, int Recordings);

/// <summary>What <see cref="EmbeddingDataset.Verify"/> found: a complete dataset of <see cref="Shards"/> parts.</summary>
/// <param name="Folder">The dataset folder.</param>
/// <param name="Shards">N.</param>
/// <param name="Format">The tables' extension (<c>parquet</c> or <c>csv</c>).</param>
/// <param name="Parts">The parts in shard order.</param>
/// <param name="Rows">Rows in all parts.</param>
/// <param name="SettingsJson">The settings every part was written with (the first line of each progress log).</param>
public sealed record DatasetManifest(string Folder, int Shards, string Format, IReadOnlyList<DatasetPart> Parts, long Rows, string SettingsJson);

/// <summary>
/// A dataset folder written by sharded runs of <see cref="EegEmbeddingJob"/> (<c>eegdino embed --shard K/N
/// --output DIR</c>): one table per shard, <c>DIR/part-KKKKK-of-NNNNN.parquet</c> (or <c>.csv</c>), with
/// identical schemas, each with its own progress log. The folder is what pandas, pyarrow, DuckDB and
/// Spark read as one table (<c>pd.read_parquet(DIR)</c>, <c>SELECT * FROM 'DIR/*.parquet'</c>).
/// </summary>
public static class EmbeddingDataset
{
    /// <summary>The manifest file <see cref="Verify"/> writes into a complete dataset folder.</summary>
    public const string ManifestFileName = "_manifest.json";

    private static readonly Regex PartName = new(@"^part-(\d{5})-of-(\d{5})\.(parquet|csv)$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Checks that a dataset folder is complete and consistent, then writes <see cref="ManifestFileName"/>
    /// (parts, rows, settings): all N parts present and assembled without failures, the same settings in
    /// each (the same model, windows, montage and shard count), and no recording in two parts.
    /// </summary>
    /// <param name="folder">The dataset folder.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="InvalidDataException">The dataset is incomplete or inconsistent; the message lists every problem.</exception>
    public static DatasetManifest Verify(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The dataset folder '{folder}' does not exist.");
        var found = Directory.EnumerateFiles(folder)
            .Select(f => (Path: f, Match: PartName.Match(System.IO.Path.GetFileName(f))))
            .Where(p => p.Match.Success)
            .Select(p => (p.Path, Shard: int.Parse(p.Match.Groups[1].Value, CultureInfo.InvariantCulture),
                Count: int.Parse(p.Match.Groups[2].Value, CultureInfo.InvariantCulture), Format: p.Match.Groups[3].Value))
            .OrderBy(p => p.Shard).ToList();
        var problems = new List<string>();
        if (found.Count == 0)
            throw new InvalidDataException($"'{folder}' holds no part-KKKKK-of-NNNNN.parquet or .csv files: no shard has finished yet.");
        var counts = found.Select(p => p.Count).Distinct().ToList();
        var formats = found.Select(p => p.Format).Distinct().ToList();
        if (counts.Count > 1) problems.Add($"parts of differently split runs are mixed: {string.Join(", ", counts.Select(c => $"{c} shards"))}");
        if (formats.Count > 1) problems.Add($"parts in different formats are mixed: {string.Join(", ", formats)}");
        int shards = counts.Max();
        var missing = Enumerable.Range(0, shards).Except(found.Select(p => p.Shard)).ToList();
        if (missing.Count > 0)
            problems.Add($"{missing.Count} of {shards} parts are missing (shards {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}): run them, or run them again if they stopped");

        string? settings = null;
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        var parts = new List<DatasetPart>();
        foreach (var (path, shard, _, _) in found)
        {
            string name = System.IO.Path.GetFileName(path);
            string log = path + ".progress.jsonl";
            if (!File.Exists(log)) { problems.Add($"{name} has no progress log ({System.IO.Path.GetFileName(log)})"); continue; }
            var (partSettings, done, assembly) = ReadLog(log);
            if (settings is null) settings = partSettings;
            else if (partSettings != settings) problems.Add($"{name} was written with other settings than part-{found[0].Shard:D5} ({partSettings} against {settings})");
            if (assembly is null) { problems.Add($"{name} has not been assembled since its last embedding (the shard is still running or stopped): run it again"); continue; }
            if (assembly.Value.Failed > 0) problems.Add($"{name}: {assembly.Value.Failed} recording(s) failed; see its progress log");
            foreach (string recording in done)
            {
                if (owners.TryGetValue(recording, out int other)) problems.Add($"the recording '{recording}' is in two parts (shards {other} and {shard})");
                else owners[recording] = shard;
            }
            parts.Add(new DatasetPart(name, shard, assembly.Value.Rows, done.Count));
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"The dataset '{folder}' is not complete: " + string.Join("; ", problems) + ".");

        var manifest = new DatasetManifest(System.IO.Path.GetFullPath(folder), shards, formats[0], parts, parts.Sum(p => p.Rows), settings!);
        var json = new JsonObject
        {
            ["shards"] = shards,
            ["format"] = manifest.Format,
            ["rows"] = manifest.Rows,
            ["recordings"] = owners.Count,
            ["settings"] = JsonNode.Parse(settings!),
            ["parts"] = new JsonArray(parts.Select(p => (JsonNode)new JsonObject
            {
                ["file"] = p.File, ["shard"] = p.Shard, ["rows"] = p.Rows, ["recordings"] = p.Recordings,
            }).ToArray()),
        };
        File.WriteAllText(System.IO.Path.Combine(folder, ManifestFileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return manifest;
    }

    /// <summary>A part's settings line, the recordings done (latest state) and its last assembly, if nothing happened after it.</summary>
    private static (string Settings, List<string> Done, (long Rows, int Failed)? Assembly) ReadLog(string path)
    {
        var lines = File.ReadAllLines(path);
        string settings = "";
        var done = new Dictionary<string, string>(StringComparer.Ordinal);
        (long, int)? assembly = null;
        foreach (string line in lines)
        {
            LogEntry? e;
            try { e = string.IsNullOrWhiteSpace(line) ? null : JsonSerializer.Deserialize<LogEntry>(line); }
            catch (JsonException) { e = null; } // a torn line
            switch (e?.Kind)
            {
                case "settings" when e.Settings is { } s: settings = JsonSerializer.Serialize(s); break;
                case "done" when e.Path is not null: done[e.Path] = e.Name ?? e.Path; assembly = null; break;
                case "failed" when e.Path is not null: done.Remove(e.Path); assembly = null; break;
                case "assembled": assembly = (e.Rows, e.Failed); break;
            }
        }
        return (settings, done.Values.ToList(), assembly);
    }
}

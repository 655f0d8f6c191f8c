using EegDino.ML.Eeg;

namespace EegDino.ML.Corpus;

/// <summary>
/// The files a corpus job writes next to its output (<c>OUT</c>, <c>OUT.tmp</c>, <c>OUT.progress.jsonl</c>,
/// <c>OUT.lock</c>, <c>OUT.parts/</c>), and the check that none of them is one of the inputs: paths are
/// compared after resolving symbolic links in every component, so <c>--output</c> naming a recording
/// through a link is refused too (hard links are not detected).
/// </summary>
internal sealed class OutputPaths
{
    public OutputPaths(string output)
    {
        Output = Path.GetFullPath(output);
        if (Directory.Exists(Output))
            throw new ArgumentException($"The output '{output}' is a folder; name the table file to write (e.g. {Path.Combine(output, "embeddings.csv")}).", nameof(output));
    }

    public string Output { get; }

    public string Temporary => Output + ".tmp";

    public string ProgressLog => Output + ".progress.jsonl";

    public string Lock => Output + ".lock";

    public string PartsFolder => Output + ".parts";

    /// <summary>Refuses before anything is written when a file of the job would replace an input recording.</summary>
    /// <exception cref="ArgumentException">An output path is an input.</exception>
    public void CheckNotAnInput(IEnumerable<EegRecordingSource> inputs)
    {
        var written = new[] { Output, Temporary, ProgressLog, Lock }.ToDictionary(p => RealPath(p), p => p, StringComparer.Ordinal);
        string parts = RealPath(PartsFolder) + Path.DirectorySeparatorChar;
        foreach (EegRecordingSource input in inputs)
        {
            string real = RealPath(input.Path);
            if (written.TryGetValue(real, out string? path))
                throw new ArgumentException($"The output would overwrite the input recording '{input.Path}' ({path}); choose an output that is not one of the inputs. Nothing was written.");
            if (real.StartsWith(parts, StringComparison.Ordinal))
                throw new ArgumentException($"The input recording '{input.Path}' is inside the job's parts folder {PartsFolder}; choose another output. Nothing was written.");
        }
    }

    /// <summary>The absolute path with every symbolic link resolved (components that do not exist are kept as they are).</summary>
    internal static string RealPath(string path, int depth = 0)
    {
        if (depth > 40) throw new IOException($"Too many levels of symbolic links in '{path}'.");
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        foreach (string part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            string? target = new FileInfo(current).LinkTarget;
            if (target is not null) current = RealPath(Path.GetFullPath(target, Path.GetDirectoryName(current) ?? root), depth + 1);
        }
        return current;
    }
}

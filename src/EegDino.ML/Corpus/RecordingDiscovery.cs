using EegDino.ML.Eeg;

namespace EegDino.ML.Corpus;

/// <summary>
/// Finds the recordings named by files and folders, for both roads into the model (the ML.NET
/// loader and the corpus job), so that both list the same recordings in the same order under the
/// same names.
/// </summary>
internal static class RecordingDiscovery
{
    /// <summary>
    /// Files as given (named by their file name); folders searched recursively for <c>*.edf</c> and
    /// <c>*.bdf</c> (any case), each folder's files in ordinal order of their path relative to the folder,
    /// which is also their name. A file reached twice is listed once.
    /// </summary>
    /// <exception cref="FileNotFoundException">An argument is neither a file nor a folder.</exception>
    public static List<EegRecordingSource> Find(IEnumerable<string> filesOrFolders)
    {
        ArgumentNullException.ThrowIfNull(filesOrFolders);
        var result = new List<EegRecordingSource>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string item in filesOrFolders)
        {
            if (string.IsNullOrEmpty(item)) throw new ArgumentException("A recording path is empty.", nameof(filesOrFolders));
            if (File.Exists(item))
            {
                string full = Path.GetFullPath(item);
                if (seen.Add(full)) result.Add(new EegRecordingSource(full) { Name = Path.GetFileName(full) });
            }
            else if (Directory.Exists(item))
            {
                string root = Path.GetFullPath(item);
                var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                    .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".edf" or ".bdf")
                    .Select(f => (Full: f, Name: Path.GetRelativePath(root, f).Replace('\\', '/')))
                    .OrderBy(f => f.Name, StringComparer.Ordinal);
                foreach (var (full, name) in files)
                {
                    if (seen.Add(full)) result.Add(new EegRecordingSource(full) { Name = name });
                }
            }
            else
            {
                throw new FileNotFoundException($"'{item}' is neither a file nor a folder.", item);
            }
        }
        return result;
    }
}

using System.Globalization;
using EegDino.ML.Eeg;

namespace EegDino.ML.Samples.Cli;

/// <summary>
/// Refuses a window longer than every recording before any work is done: such a run would cut no
/// window at all and end with an empty table or a confusing error further on.
/// </summary>
internal static class WindowFit
{
    /// <summary>Throws a <see cref="UsageException"/> when no readable recording of <paramref name="paths"/> lasts <paramref name="windowSeconds"/>.</summary>
    public static void EnsureSomeRecordingFits(string option, double windowSeconds, IEnumerable<string> paths)
    {
        double longest = 0;
        string? longestName = null;
        foreach (string path in paths)
        {
            try
            {
                using var reader = EdfReader.Open(path);
                if (reader.DurationSeconds >= windowSeconds) return;
                if (reader.DurationSeconds >= longest) (longest, longestName) = (reader.DurationSeconds, Path.GetFileName(path));
            }
            catch (Exception e) when (e is EegDinoException or IOException or UnauthorizedAccessException)
            {
                // Unreadable files are reported by the command itself.
            }
        }
        if (longestName is null) return;
        throw new UsageException(string.Create(CultureInfo.InvariantCulture,
            $"{option} is {windowSeconds}; the longest recording ({longestName}) lasts {longest:0.###} s, so no window fits. Use a window of at most {longest:0.###} s."));
    }
}

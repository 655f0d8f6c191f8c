using EegDino.ML.Eeg;

namespace EegDino.ML.Corpus;

/// <summary>
/// The one rule both roads (the ML.NET loader and the corpus job) use to label a window, in order:
/// <list type="number">
/// <item>a window placed at an annotation (<see cref="EegWindowMode.Annotations"/>) has that annotation's text;</item>
/// <item>else the recording's own label (<see cref="EegRecordingSource.Label"/>), when one was given;</item>
/// <item>else the text of the annotation with a duration that overlaps the window most; else the first
/// zero-duration annotation inside it;</item>
/// <item>else empty.</item>
/// </list>
/// An explicit label of the user's beats what a file happens to annotate; asking for annotation
/// windows asks for their texts.
/// </summary>
public static class WindowLabels
{
    /// <summary>The label of <paramref name="window"/> of a recording with <paramref name="recordingLabel"/> and <paramref name="annotations"/>.</summary>
    /// <param name="window">The window.</param>
    /// <param name="recordingLabel">The recording's label, or null.</param>
    /// <param name="annotations">The recording's annotations.</param>
    /// <returns>The label; empty if none.</returns>
    public static string Of(EegWindow window, string? recordingLabel, IReadOnlyList<EdfAnnotation> annotations)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(annotations);
        if (window.Label is { } own) return own;
        if (!string.IsNullOrEmpty(recordingLabel)) return recordingLabel;
        return Overlapping(annotations, window.StartSeconds, window.NumberOfSamples / window.SamplesPerSecond);
    }

    /// <summary>
    /// The text of the annotation with a duration that overlaps [start, start + length) most; else the
    /// first zero-duration annotation inside it; else empty.
    /// </summary>
    internal static string Overlapping(IReadOnlyList<EdfAnnotation> annotations, double start, double length)
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
}

namespace EegDino.ML.Eeg;

/// <summary>A recording to load: a file path, an optional label for all its windows, and its name in the output.</summary>
/// <param name="Path">Path of an .edf or .bdf file.</param>
/// <param name="Label">Label of every window of this recording (e.g. <c>eyes-open</c>), or null; see
/// <see cref="Corpus.WindowLabels"/> for how it ranks against annotations.</param>
public sealed record EegRecordingSource(string Path, string? Label = null)
{
    /// <summary>
    /// The recording's name in the <c>Recording</c> column and in embedding tables: by default the file
    /// name; recordings found in a folder are named by their path relative to that folder (so that two
    /// <c>run1.edf</c> in different subfolders stay apart).
    /// </summary>
    public string Name { get; init; } = global::System.IO.Path.GetFileName(Path);
}

/// <summary>Options of <c>mlContext.Data.LoadFromEegRecordings</c>.</summary>
public sealed class EegLoaderOptions
{
    /// <summary>Channel order, explicit mapping and missing-channel policy (default: the 19 TUEG channels, all required).</summary>
    public MontageOptions Montage { get; set; } = new();

    /// <summary>Window length, stride, mode, output rate and quality thresholds (default: 10 s windows every 10 s at 200 Hz).</summary>
    public EegWindowOptions Windows { get; set; } = new();

    /// <summary>
    /// Re-referencing and filters applied to each recording at its own rate, before resampling, as
    /// MNE does them (default <see cref="EegFilterOptions.None"/>: the signal as recorded).
    /// </summary>
    public EegFilterOptions Filters { get; set; } = EegFilterOptions.None;

    /// <summary>True to leave out windows that cross a gap or hold a flat or saturated channel; false (default) keeps them with their flags.</summary>
    public bool SkipFlaggedWindows { get; set; }

    /// <summary>
    /// False (default): a recording that cannot be read (malformed or truncated file, missing
    /// electrodes, a window shape other than the first recording's) stops the read with its
    /// exception. True: it is left out and reported to <see cref="RecordingSkipped"/>, and the read
    /// goes on with the next recording; windows of that recording read before the error stay in the data.
    /// The first recording, which fixes the schema, must always be readable.
    /// </summary>
    public bool SkipUnreadableRecordings { get; set; }

    /// <summary>
    /// Called with the path and the error of each recording left out under
    /// <see cref="SkipUnreadableRecordings"/> (once per cursor that reaches it). May be called from
    /// the thread that moves the cursor.
    /// </summary>
    public Action<string, Exception>? RecordingSkipped { get; set; }
}

/// <summary>Column names of the <see cref="Microsoft.ML.IDataView"/> made by <c>LoadFromEegRecordings</c>.</summary>
public static class EegDataColumns
{
    /// <summary>Text: the recording's name (<see cref="EegRecordingSource.Name"/>: the path relative to the folder it was found in, or the file name).</summary>
    public const string Recording = "Recording";

    /// <summary>Double: start of the window in seconds of recording time.</summary>
    public const string StartSeconds = "StartSeconds";

    /// <summary>Text: the annotation or recording label, empty if none.</summary>
    public const string Label = "Label";

    /// <summary>
    /// Vector of Single of known size channels x samples, dimensions <c>[channels, samples]</c>,
    /// channel-major (channel 0's samples, then channel 1's, ...), in microvolts.
    /// </summary>
    public const string Signal = "Signal";

    /// <summary>Boolean: the window spans a gap of an EDF+D/BDF+D file.</summary>
    public const string CrossesGap = "CrossesGap";

    /// <summary>Boolean: a channel is flat in the window.</summary>
    public const string HasFlatChannel = "HasFlatChannel";

    /// <summary>Boolean: a channel is saturated in the window.</summary>
    public const string HasSaturatedChannel = "HasSaturatedChannel";
}

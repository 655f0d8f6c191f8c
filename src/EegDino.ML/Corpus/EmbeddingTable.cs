using System.Globalization;

namespace EegDino.ML.Corpus;

/// <summary>One output row of <see cref="EegEmbeddingJob"/>: a window's position, label, quality flags and embedding.</summary>
/// <param name="Recording">The recording's name: its path relative to the folder it was found in, or its file name (<see cref="Eeg.EegRecordingSource.Name"/>).</param>
/// <param name="StartSeconds">Window start in recording time (seconds).</param>
/// <param name="Label">The window's label by the rule of <see cref="WindowLabels"/>; empty if none.</param>
/// <param name="CrossesGap">The window spans a gap of an EDF+D/BDF+D file.</param>
/// <param name="FlatChannels">Flat channels, separated by spaces; empty if none.</param>
/// <param name="SaturatedChannels">Saturated channels, separated by spaces; empty if none.</param>
/// <param name="Embedding">D floats.</param>
public sealed record EmbeddingRow(string Recording, double StartSeconds, string Label, bool CrossesGap,
    string FlatChannels, string SaturatedChannels, float[] Embedding)
{
    /// <summary>True if the window crosses a gap or has a flat or saturated channel.</summary>
    public bool Flagged => CrossesGap || FlatChannels.Length > 0 || SaturatedChannels.Length > 0;
}

/// <summary>
/// The output table's layout, shared by the CSV and Parquet writers: fixed columns, then one float32
/// column per embedding dimension, <c>emb_0</c> .. <c>emb_{D-1}</c> (flat columns: pandas reads them
/// with <c>df.filter(regex="^emb_")</c> and no list unpacking).
/// </summary>
public static class EmbeddingTableLayout
{
    /// <summary>The fixed columns, in order.</summary>
    public static readonly string[] FixedColumns =
        ["recording", "start_seconds", "label", "flagged", "crosses_gap", "flat_channels", "saturated_channels"];

    /// <summary>The name of embedding dimension <paramref name="i"/>.</summary>
    public static string EmbeddingColumn(int i) => "emb_" + i.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Writes embedding rows to the final output file; called once per batch of rows, then disposed.</summary>
public interface IEmbeddingTableWriter : IDisposable
{
    /// <summary>Appends rows (each with the writer's embedding width).</summary>
    void WriteRows(IReadOnlyList<EmbeddingRow> rows);
}

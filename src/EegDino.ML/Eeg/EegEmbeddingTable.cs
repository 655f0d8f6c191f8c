using System.Globalization;
using System.Text;

namespace EegDino.ML.Eeg;

/// <summary>Which summary of the encoder output an embedding row holds.</summary>
internal enum EmbeddingKind
{
    /// <summary>The mean of the patch tokens (<see cref="EegDinoEncoding.PooledMean"/>).</summary>
    PooledMean,

    /// <summary>The global token (<see cref="EegDinoEncoding.GlobalToken"/>).</summary>
    GlobalToken,
}

/// <summary>One output row of <see cref="EegEmbeddingJob"/>: a window's position, label, quality flags and embedding.</summary>
/// <param name="Recording">The recording's name: its path relative to the folder it was found in, or its file name.</param>
/// <param name="StartSeconds">Window start in recording time (seconds).</param>
/// <param name="Label">The annotation overlapping the window most (annotation windows: its text); empty if none.</param>
/// <param name="CrossesGap">The window spans a gap of an EDF+D/BDF+D file.</param>
/// <param name="FlatChannels">Flat channels, separated by spaces; empty if none.</param>
/// <param name="SaturatedChannels">Saturated channels, separated by spaces; empty if none.</param>
/// <param name="Embedding">D floats.</param>
internal sealed record EmbeddingRow(string Recording, double StartSeconds, string Label, bool CrossesGap,
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
internal static class EmbeddingTableLayout
{
    /// <summary>The fixed columns, in order.</summary>
    public static readonly string[] FixedColumns =
        ["recording", "start_seconds", "label", "flagged", "crosses_gap", "flat_channels", "saturated_channels"];

    /// <summary>The name of embedding dimension <paramref name="i"/>.</summary>
    public static string EmbeddingColumn(int i) => "emb_" + i.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Writes embedding rows to the final output file; called once per batch of rows, then disposed.</summary>
internal interface IEmbeddingTableWriter : IDisposable
{
    /// <summary>Appends rows (each with the writer's embedding width).</summary>
    void WriteRows(IReadOnlyList<EmbeddingRow> rows);
}

/// <summary>CSV output: a header line, invariant culture, floats in shortest round-trip form, RFC 4180 quoting.</summary>
internal sealed class CsvEmbeddingWriter : IEmbeddingTableWriter
{
    private readonly StreamWriter _writer;
    private readonly int _dim;

    /// <summary>Creates the file and writes the header.</summary>
    public CsvEmbeddingWriter(string path, int embeddingDim)
    {
        _dim = embeddingDim;
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        _writer.Write(string.Join(',', EmbeddingTableLayout.FixedColumns));
        for (int i = 0; i < embeddingDim; i++) { _writer.Write(','); _writer.Write(EmbeddingTableLayout.EmbeddingColumn(i)); }
        _writer.Write('\n');
    }

    /// <inheritdoc/>
    public void WriteRows(IReadOnlyList<EmbeddingRow> rows)
    {
        var ci = CultureInfo.InvariantCulture;
        foreach (EmbeddingRow r in rows)
        {
            if (r.Embedding.Length != _dim)
                throw new ArgumentException($"A row of {r.Recording} has {r.Embedding.Length} embedding values; the table has {_dim}.", nameof(rows));
            _writer.Write(Quote(r.Recording)); _writer.Write(',');
            _writer.Write(r.StartSeconds.ToString("R", ci)); _writer.Write(',');
            _writer.Write(Quote(r.Label)); _writer.Write(',');
            _writer.Write(r.Flagged ? "true" : "false"); _writer.Write(',');
            _writer.Write(r.CrossesGap ? "true" : "false"); _writer.Write(',');
            _writer.Write(Quote(r.FlatChannels)); _writer.Write(',');
            _writer.Write(Quote(r.SaturatedChannels));
            foreach (float v in r.Embedding) { _writer.Write(','); _writer.Write(v.ToString(ci)); }
            _writer.Write('\n');
        }
    }

    private static string Quote(string s) =>
        s.AsSpan().IndexOfAny(",\"\r\n") < 0 ? s : "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _writer.Dispose();
}

/// <summary>
/// The per-recording part file of <see cref="EegEmbeddingJob"/> (binary, little-endian): magic
/// <c>EGDP</c>, format version, embedding width, row count, then the rows. Written to a temporary
/// name and renamed, so a part file that exists is complete.
/// </summary>
internal static class EmbeddingPartFile
{
    private const int Magic = 0x50444745; // "EGDP"
    private const int Version = 1;

    /// <summary>Writes <paramref name="rows"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, int embeddingDim, IReadOnlyList<EmbeddingRow> rows)
    {
        string tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(embeddingDim);
            w.Write(rows.Count);
            foreach (EmbeddingRow r in rows)
            {
                w.Write(r.Recording);
                w.Write(r.StartSeconds);
                w.Write(r.Label);
                w.Write(r.CrossesGap);
                w.Write(r.FlatChannels);
                w.Write(r.SaturatedChannels);
                foreach (float v in r.Embedding) w.Write(v);
            }
            w.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a part file.</summary>
    /// <exception cref="InvalidDataException">The file is not a part file of this version or is truncated.</exception>
    public static (int EmbeddingDim, List<EmbeddingRow> Rows) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (r.ReadInt32() != Magic) throw new InvalidDataException($"{path} is not an embedding part file (bad magic).");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path} has part format version {version}; {Version} was expected.");
            int dim = r.ReadInt32(), count = r.ReadInt32();
            var rows = new List<EmbeddingRow>(count);
            for (int i = 0; i < count; i++)
            {
                string recording = r.ReadString();
                double start = r.ReadDouble();
                string label = r.ReadString();
                bool gap = r.ReadBoolean();
                string flat = r.ReadString(), saturated = r.ReadString();
                var e = new float[dim];
                for (int j = 0; j < dim; j++) e[j] = r.ReadSingle();
                rows.Add(new EmbeddingRow(recording, start, label, gap, flat, saturated, e));
            }
            return (dim, rows);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} is truncated.");
        }
    }
}

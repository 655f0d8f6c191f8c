using System.Globalization;
using System.Text;

namespace EegDino.ML.Corpus;

/// <summary>CSV output: a header line, invariant culture, floats in shortest round-trip form, RFC 4180 quoting.</summary>
public sealed class CsvEmbeddingWriter : IEmbeddingTableWriter
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

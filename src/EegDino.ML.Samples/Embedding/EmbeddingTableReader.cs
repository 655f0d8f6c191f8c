using System.Globalization;
using System.Text;
using EegDino.ML.Corpus;
using Parquet;
using Parquet.Schema;

namespace EegDino.ML.Samples.Embedding;

/// <summary>
/// Reads back the tables <c>eegdino embed</c> writes (<see cref="ParquetEmbeddingWriter"/>,
/// <see cref="CsvEmbeddingWriter"/>), row group by row group, for <c>eegdino embed --merge</c>.
/// </summary>
internal static class EmbeddingTableReader
{
    /// <summary>The embedding width of a table (its <c>emb_*</c> columns).</summary>
    public static int EmbeddingDim(string path) => Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase)
        ? CsvFields(File.ReadLines(path).First()).Count(c => c.StartsWith("emb_", StringComparison.Ordinal))
        : ParquetFields(path).Count(f => f.Name.StartsWith("emb_", StringComparison.Ordinal));

    /// <summary>The rows of a table, in chunks (Parquet: one per row group; CSV: every 4,096 rows).</summary>
    public static IEnumerable<List<EmbeddingRow>> Read(string path) =>
        Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? ReadCsv(path) : ReadParquet(path);

    private static DataField[] ParquetFields(string path)
    {
        using var stream = File.OpenRead(path);
        ParquetReader reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        try { return reader.Schema.GetDataFields(); }
        finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    private static IEnumerable<List<EmbeddingRow>> ReadParquet(string path)
    {
        using var stream = File.OpenRead(path);
        ParquetReader reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        try
        {
            DataField[] fields = reader.Schema.GetDataFields();
            string[] expected = EmbeddingTableLayout.FixedColumns;
            if (fields.Length < expected.Length || !fields.Take(expected.Length).Select(f => f.Name).SequenceEqual(expected))
                throw new InvalidDataException($"{path} does not have the columns of an embedding table ({string.Join(", ", expected)}, emb_0, ...).");
            int dim = fields.Length - expected.Length;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
                int n = checked((int)group.RowCount);
                T[] Column<T>(int i) where T : struct
                {
                    var values = new T[n];
                    group.ReadAsync<T>(fields[i], values.AsMemory()).GetAwaiter().GetResult();
                    return values;
                }
                string?[] Strings(int i)
                {
                    var values = new string?[n];
                    group.ReadAsync(fields[i], values.AsMemory()).GetAwaiter().GetResult();
                    return values;
                }
                var recording = Strings(0); var start = Column<double>(1); var label = Strings(2);
                var gap = Column<bool>(4); var flat = Strings(5); var saturated = Strings(6);
                var embeddings = new float[n][];
                for (int i = 0; i < n; i++) embeddings[i] = new float[dim];
                for (int d = 0; d < dim; d++)
                {
                    float[] column = Column<float>(expected.Length + d);
                    for (int i = 0; i < n; i++) embeddings[i][d] = column[i];
                }
                yield return Enumerable.Range(0, n).Select(i => new EmbeddingRow(recording[i] ?? "", start[i], label[i] ?? "", gap[i],
                    flat[i] ?? "", saturated[i] ?? "", embeddings[i])).ToList();
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static IEnumerable<List<EmbeddingRow>> ReadCsv(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        string header = reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty.");
        var columns = CsvFields(header);
        int dim = columns.Count - EmbeddingTableLayout.FixedColumns.Length;
        if (!columns.Take(EmbeddingTableLayout.FixedColumns.Length).SequenceEqual(EmbeddingTableLayout.FixedColumns))
            throw new InvalidDataException($"{path} does not have the columns of an embedding table.");
        var chunk = new List<EmbeddingRow>();
        var ci = CultureInfo.InvariantCulture;
        string? line;
        while ((line = ReadRecord(reader)) is not null)
        {
            var f = CsvFields(line);
            if (f.Count != columns.Count) throw new InvalidDataException($"{path}: a row has {f.Count} fields; the header has {columns.Count}.");
            chunk.Add(new EmbeddingRow(f[0], double.Parse(f[1], ci), f[2], f[4] == "true", f[5], f[6],
                f.Skip(EmbeddingTableLayout.FixedColumns.Length).Select(v => float.Parse(v, ci)).ToArray()));
            if (chunk.Count == 4096) { yield return chunk; chunk = []; }
        }
        if (chunk.Count > 0) yield return chunk;
        _ = dim;
    }

    /// <summary>One CSV record, which may span lines inside a quoted field.</summary>
    private static string? ReadRecord(StreamReader reader)
    {
        string? line = reader.ReadLine();
        if (line is null) return null;
        while (line.Count(c => c == '"') % 2 == 1)
        {
            string? more = reader.ReadLine() ?? throw new InvalidDataException("A quoted CSV field is not closed.");
            line += "\n" + more;
        }
        return line;
    }

    /// <summary>The fields of one RFC 4180 record (quoted fields may hold commas, quotes as "" and newlines).</summary>
    internal static List<string> CsvFields(string record)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < record.Length; i++)
        {
            char c = record[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < record.Length && record[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}

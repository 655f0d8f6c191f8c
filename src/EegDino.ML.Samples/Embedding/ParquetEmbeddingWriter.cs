using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using Parquet;
using Parquet.Schema;

namespace EegDino.ML.Samples.Embedding;

/// <summary>
/// Parquet output of <c>eegdino embed</c>: the fixed columns (<c>recording</c>, <c>label</c>,
/// <c>flat_channels</c>, <c>saturated_channels</c> strings; <c>start_seconds</c> double; <c>flagged</c>,
/// <c>crosses_gap</c> booleans) then one float32 column per dimension <c>emb_0</c> .. <c>emb_{D-1}</c>.
/// Rows are buffered into row groups of about 8 M embedding values (32 MB).
/// </summary>
internal sealed class ParquetEmbeddingWriter : IEmbeddingTableWriter
{
    private const long ValuesPerRowGroup = 8 << 20;

    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly ParquetSchema _schema;
    private readonly DataField[] _fields;
    private readonly int _dim;
    private readonly List<EmbeddingRow> _buffer = [];

    public ParquetEmbeddingWriter(string path, int embeddingDim)
    {
        _dim = embeddingDim;
        var fields = new List<DataField>
        {
            new DataField<string>("recording"),
            new DataField<double>("start_seconds"),
            new DataField<string>("label"),
            new DataField<bool>("flagged"),
            new DataField<bool>("crosses_gap"),
            new DataField<string>("flat_channels"),
            new DataField<string>("saturated_channels"),
        };
        for (int i = 0; i < embeddingDim; i++) fields.Add(new DataField<float>(EmbeddingTableLayout.EmbeddingColumn(i)));
        _fields = [.. fields];
        _schema = new ParquetSchema(_fields);
        _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        _writer = ParquetWriter.CreateAsync(_schema, _stream).GetAwaiter().GetResult();
    }

    public void WriteRows(IReadOnlyList<EmbeddingRow> rows)
    {
        foreach (var r in rows)
            if (r.Embedding.Length != _dim)
                throw new ArgumentException($"A row of {r.Recording} has {r.Embedding.Length} embedding values; the table has {_dim}.", nameof(rows));
        _buffer.AddRange(rows);
        if ((long)_buffer.Count * _dim >= ValuesPerRowGroup) Flush();
    }

    private void Flush()
    {
        if (_buffer.Count == 0) return;
        int n = _buffer.Count;
        using (ParquetRowGroupWriter group = _writer.CreateRowGroup())
        {
            group.WriteAsync(_fields[0], _buffer.Select(r => r.Recording).ToArray()).GetAwaiter().GetResult();
            group.WriteAsync<double>(_fields[1], _buffer.Select(r => r.StartSeconds).ToArray()).GetAwaiter().GetResult();
            group.WriteAsync(_fields[2], _buffer.Select(r => r.Label).ToArray()).GetAwaiter().GetResult();
            group.WriteAsync<bool>(_fields[3], _buffer.Select(r => r.Flagged).ToArray()).GetAwaiter().GetResult();
            group.WriteAsync<bool>(_fields[4], _buffer.Select(r => r.CrossesGap).ToArray()).GetAwaiter().GetResult();
            group.WriteAsync(_fields[5], _buffer.Select(r => r.FlatChannels).ToArray()).GetAwaiter().GetResult();
            group.WriteAsync(_fields[6], _buffer.Select(r => r.SaturatedChannels).ToArray()).GetAwaiter().GetResult();
            var column = new float[n];
            for (int d = 0; d < _dim; d++)
            {
                for (int i = 0; i < n; i++) column[i] = _buffer[i].Embedding[d];
                group.WriteAsync<float>(_fields[7 + d], column).GetAwaiter().GetResult();
            }
            group.CompleteValidate();
        }
        _buffer.Clear();
    }

    public void Dispose()
    {
        Flush();
        _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream.Dispose();
    }
}

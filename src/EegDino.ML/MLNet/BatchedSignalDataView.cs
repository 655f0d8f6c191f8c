using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// The result of <see cref="EegDinoEmbeddingTransformer.Transform"/> and
/// <see cref="EegDinoClassificationTransformer.Transform"/>: the input data plus the output
/// columns, computed lazily by cursors that compute <c>BatchSize</c> rows per forward pass.
/// </summary>
internal sealed class BatchedSignalDataView : IDataView
{
    private readonly IDataView _input;
    private readonly IBatchedSignalComputation _computation;

    public BatchedSignalDataView(IDataView input, IBatchedSignalComputation computation)
    {
        _input = input;
        _computation = computation;
        Schema = computation.OutputSchema;
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => _input.CanShuffle;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (inputColumns, computeOutput) = InputColumnsFor(columnsNeeded);
        return new BatchedSignalCursor(_input.GetRowCursor(inputColumns, rand), _computation, computeOutput);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (inputColumns, computeOutput) = InputColumnsFor(columnsNeeded);
        return _input.GetRowCursorSet(inputColumns, n, rand)
            .Select(c => (DataViewRowCursor)new BatchedSignalCursor(c, _computation, computeOutput))
            .ToArray();
    }

    /// <summary>The upstream columns the requested output columns depend on, and whether any output column is requested.</summary>
    private (List<DataViewSchema.Column> InputColumns, bool ComputeOutput) InputColumnsFor(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var inputColumns = new List<DataViewSchema.Column>();
        bool computeOutput = false;
        foreach (var column in columnsNeeded)
        {
            if (_computation.IsOutput(column.Index)) computeOutput = true;
            else inputColumns.Add(_input.Schema[column.Index]);
        }
        if (computeOutput && !inputColumns.Any(c => c.Index == _computation.SignalColumnIndex))
            inputColumns.Add(_input.Schema[_computation.SignalColumnIndex]);
        return (inputColumns, computeOutput);
    }
}

/// <summary>
/// Pulls up to <c>BatchSize</c> rows from the upstream cursor, buffers their active columns,
/// computes their outputs in one forward pass, then serves the rows one by one. When no output
/// column is active it only forwards the upstream cursor.
/// </summary>
internal sealed class BatchedSignalCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly IBatchedSignalComputation _computation;
    private readonly bool _computeOutput;

    // Batch buffers (only when the outputs are computed).
    private readonly RowValueBuffer?[] _columns = [];
    private readonly ValueGetter<VBuffer<float>>? _signalGetter;
    private readonly ValueGetter<DataViewRowId>? _idGetter;
    private readonly float[] _signals = [];  // [B, SignalLength]
    private readonly float[] _outputs = [];  // [B, OutputLength]
    private readonly DataViewRowId[] _ids = [];
    private readonly long[] _batches = [];
    private VBuffer<float> _signal;
    private int _count;
    private int _slot = -1;
    private long _position = -1;

    public BatchedSignalCursor(DataViewRowCursor input, IBatchedSignalComputation computation, bool computeOutput)
    {
        _input = input;
        _computation = computation;
        _computeOutput = computeOutput;
        if (!computeOutput) return;

        int capacity = computation.BatchSize;
        _columns = new RowValueBuffer?[input.Schema.Count];
        foreach (var column in input.Schema)
        {
            if (input.IsColumnActive(column)) _columns[column.Index] = RowValueBuffer.Create(input, column, capacity);
        }
        _signalGetter = input.GetGetter<VBuffer<float>>(input.Schema[computation.SignalColumnIndex]);
        _idGetter = input.GetIdGetter();
        _signals = new float[capacity * computation.SignalLength];
        _outputs = new float[capacity * computation.OutputLength];
        _ids = new DataViewRowId[capacity];
        _batches = new long[capacity];
    }

    public override DataViewSchema Schema => _computation.OutputSchema;

    public override long Position => _computeOutput ? _position : _input.Position;

    public override long Batch => _computeOutput ? (_slot >= 0 && _slot < _count ? _batches[_slot] : 0) : _input.Batch;

    public override bool MoveNext()
    {
        if (!_computeOutput) return _input.MoveNext();
        if (_slot + 1 < _count)
        {
            _slot++;
            _position++;
            return true;
        }
        FillBatch();
        _slot = 0;
        if (_count == 0) return false;
        _position++;
        return true;
    }

    private void FillBatch()
    {
        int length = _computation.SignalLength;
        _count = 0;
        while (_count < _computation.BatchSize && _input.MoveNext())
        {
            foreach (var column in _columns) column?.Capture(_count);
            _idGetter!(ref _ids[_count]);
            _batches[_count] = _input.Batch;
            _signalGetter!(ref _signal);
            // The row's position in this cursor's sequence, for error messages.
            _computation.CopySignal(in _signal, _signals.AsSpan(_count * length, length), _position + 1 + _count);
            _count++;
        }
        if (_count > 0)
            _computation.Compute(_signals.AsSpan(0, _count * length), _count, _outputs.AsSpan(0, _count * _computation.OutputLength));
    }

    public override bool IsColumnActive(DataViewSchema.Column column)
    {
        if (_computation.IsOutput(column.Index)) return _computeOutput;
        return column.Index < _input.Schema.Count && _input.IsColumnActive(_input.Schema[column.Index]);
    }

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (_computation.IsOutput(column.Index))
        {
            if (!_computeOutput) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            int length = _computation.OutputLength;
            return _computation.CreateOutputGetter<TValue>(column, () => _outputs.AsSpan(_slot * length, length));
        }
        if (!_computeOutput) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        RowValueBuffer buffer = _columns[column.Index]
            ?? throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        return buffer.CreateGetter(() => _slot) as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' is a {column.Type}; a getter of {typeof(TValue).Name} was requested.");
    }

    public override ValueGetter<DataViewRowId> GetIdGetter()
    {
        if (!_computeOutput) return _input.GetIdGetter();
        return (ref DataViewRowId value) => value = _ids[_slot];
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// Row-to-row form of a <see cref="IBatchedSignalComputation"/>, used by <c>PredictionEngine</c>:
/// each row is computed on its own (a batch of one) when an output is first read for it; see
/// <see cref="SingleRowReuse"/> for when a row's output is reused.
/// </summary>
internal sealed class SignalRowMapper(IBatchedSignalComputation computation) : IRowToRowMapper
{
    public DataViewSchema InputSchema => computation.InputSchema;

    public DataViewSchema OutputSchema => computation.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var result = new List<DataViewSchema.Column>();
        foreach (var column in dependingColumns)
        {
            int index = computation.IsOutput(column.Index) ? computation.SignalColumnIndex : column.Index;
            if (!result.Any(c => c.Index == index)) result.Add(InputSchema[index]);
        }
        return result;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new SignalRow(input, computation, activeColumns.Any(c => computation.IsOutput(c.Index)));

    private sealed class SignalRow : DataViewRow
    {
        private readonly DataViewRow _input;
        private readonly IBatchedSignalComputation _computation;
        private readonly bool _computeOutput;
        private readonly ValueGetter<VBuffer<float>>? _signalGetter;
        private readonly float[] _signal;   // the signal the output was computed from
        private readonly float[] _scratch;  // the signal just read (SameSignal only)
        private readonly float[] _output;
        private VBuffer<float> _signalBuffer;
        private long _cachedPosition = -1;
        private bool _computed;

        public SignalRow(DataViewRow input, IBatchedSignalComputation computation, bool computeOutput)
        {
            _input = input;
            _computation = computation;
            _computeOutput = computeOutput;
            bool compareSignals = computeOutput && computation.SingleRowReuse == SingleRowReuse.SameSignal;
            _signal = computeOutput ? new float[computation.SignalLength] : [];
            _scratch = compareSignals ? new float[computation.SignalLength] : [];
            _output = computeOutput ? new float[computation.OutputLength] : [];
            if (computeOutput) _signalGetter = input.GetGetter<VBuffer<float>>(input.Schema[computation.SignalColumnIndex]);
        }

        public override DataViewSchema Schema => _computation.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            _computation.IsOutput(column.Index) ? _computeOutput : _input.IsColumnActive(_input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_computation.IsOutput(column.Index)) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (!_computeOutput) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            return _computation.CreateOutputGetter<TValue>(column, Current);
        }

        private Span<float> Current() =>
            _computation.SingleRowReuse == SingleRowReuse.SameSignal ? CurrentForSameSignal() : CurrentForSamePosition();

        private Span<float> CurrentForSamePosition()
        {
            if (_cachedPosition != _input.Position || _input.Position < 0)
            {
                _signalGetter!(ref _signalBuffer);
                _computation.CopySignal(in _signalBuffer, _signal, _input.Position);
                _computation.Compute(_signal, 1, _output);
                _cachedPosition = _input.Position;
            }
            return _output;
        }

        private Span<float> CurrentForSameSignal()
        {
            // PredictionEngine serves every row at position -1 and reads each output column
            // separately: reuse the last result when the signal is the same, compute otherwise.
            _signalGetter!(ref _signalBuffer);
            _computation.CopySignal(in _signalBuffer, _scratch, _input.Position);
            if (!_computed || !_scratch.AsSpan().SequenceEqual(_signal))
            {
                _scratch.CopyTo(_signal, 0);
                _computation.Compute(_signal, 1, _output);
                _computed = true;
            }
            return _output;
        }
    }
}

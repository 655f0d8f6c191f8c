using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// Row-to-row form of the transform, used by <c>PredictionEngine</c>: each row is encoded on its own
/// (a batch of one) when the embedding is first requested for its position.
/// </summary>
internal sealed class EmbeddingRowMapper : IRowToRowMapper
{
    private readonly EmbeddingComputation _computation;

    public EmbeddingRowMapper(EmbeddingComputation computation) => _computation = computation;

    public DataViewSchema InputSchema => _computation.InputSchema;

    public DataViewSchema OutputSchema => _computation.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var result = new List<DataViewSchema.Column>();
        foreach (var column in dependingColumns)
        {
            int index = column.Index == _computation.OutputColumnIndex ? _computation.SignalColumnIndex : column.Index;
            if (!result.Any(c => c.Index == index)) result.Add(InputSchema[index]);
        }
        return result;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        bool computeOutput = activeColumns.Any(c => c.Index == _computation.OutputColumnIndex);
        return new EmbeddingRow(input, _computation, computeOutput);
    }

    private sealed class EmbeddingRow : DataViewRow
    {
        private readonly DataViewRow _input;
        private readonly EmbeddingComputation _computation;
        private readonly bool _computeOutput;
        private readonly ValueGetter<VBuffer<float>>? _signalGetter;
        private readonly float[] _signal;
        private readonly float[] _output;
        private VBuffer<float> _signalBuffer;
        private long _cachedPosition = -1;

        public EmbeddingRow(DataViewRow input, EmbeddingComputation computation, bool computeOutput)
        {
            _input = input;
            _computation = computation;
            _computeOutput = computeOutput;
            _signal = computeOutput ? new float[computation.SignalLength] : [];
            _output = computeOutput ? new float[computation.OutputLength] : [];
            if (computeOutput) _signalGetter = input.GetGetter<VBuffer<float>>(input.Schema[computation.SignalColumnIndex]);
        }

        public override DataViewSchema Schema => _computation.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == _computation.OutputColumnIndex ? _computeOutput : _input.IsColumnActive(_input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != _computation.OutputColumnIndex) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (!_computeOutput) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Column '{column.Name}' is a Vector<Single>; a getter of {typeof(TValue).Name} was requested.");
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                if (_cachedPosition != _input.Position || _input.Position < 0)
                {
                    _signalGetter!(ref _signalBuffer);
                    _computation.CopySignal(in _signalBuffer, _signal, _input.Position);
                    _computation.Encode(_signal, 1, _output);
                    _cachedPosition = _input.Position;
                }
                var editor = VBufferEditor.Create(ref value, _output.Length);
                _output.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }
    }
}

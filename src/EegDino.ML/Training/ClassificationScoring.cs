using EegDino.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Training;

/// <summary>
/// The scoring transform bound to one input schema: where the signal is, the output schema with
/// ML.NET's multiclass annotations (so that <c>MulticlassClassification.Evaluate</c> and
/// <c>MapKeyToValue</c> work), and the call into the model.
/// </summary>
internal sealed class ClassificationScoring
{
    // ML.NET's annotation kinds and values for scored columns (AnnotationUtils.Kinds / Const, internal there).
    internal const string ScoreColumnKind = "ScoreColumnKind";
    internal const string ScoreValueKind = "ScoreValueKind";
    internal const string ScoreColumnSetId = "ScoreColumnSetId";
    internal const string MulticlassKind = "MulticlassClassification";

    private readonly EegDinoClassificationModel _model;
    private readonly string _signalColumnName;

    public ClassificationScoring(DataViewSchema inputSchema, EegDinoClassificationModel model, string signalColumnName, int batchSize)
    {
        (SignalColumnIndex, int samples) = EmbeddingSchema.CheckInput(inputSchema, signalColumnName, model.NumberOfChannels);
        if (samples != model.SamplesPerChannel)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Column '{signalColumnName}' has {samples} samples per channel ({samples * model.NumberOfChannels} values); " +
                $"the classifier was trained on {model.SamplesPerChannel} ({model.SamplesPerChannel * model.NumberOfChannels} values).");
        }
        _model = model;
        _signalColumnName = signalColumnName;
        InputSchema = inputSchema;
        BatchSize = batchSize;
        NumberOfClasses = model.NumberOfClasses;
        SignalLength = model.NumberOfChannels * model.SamplesPerChannel;
        OutputSchema = BuildOutputSchema(inputSchema, model);
        ScoreColumnIndex = OutputSchema.Count - 2;
        PredictedLabelColumnIndex = OutputSchema.Count - 1;
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }
    public int SignalColumnIndex { get; }
    public int ScoreColumnIndex { get; }
    public int PredictedLabelColumnIndex { get; }
    public int SignalLength { get; }
    public int NumberOfClasses { get; }
    public int BatchSize { get; }

    public bool IsOutput(int columnIndex) => columnIndex == ScoreColumnIndex || columnIndex == PredictedLabelColumnIndex;

    /// <summary>Copies one row's signal densely; throws naming the row, channel and sample of a non-finite value.</summary>
    public void CopySignal(in VBuffer<float> signal, Span<float> destination, long rowPosition)
    {
        if (signal.Length != SignalLength)
            throw new EegDinoException($"Row {rowPosition} of column '{_signalColumnName}' holds {signal.Length} values; the schema promised {SignalLength}.");
        signal.CopyTo(destination);
        for (int i = 0; i < destination.Length; i++)
        {
            if (!float.IsFinite(destination[i]))
            {
                int samples = _model.SamplesPerChannel;
                throw new EegDinoException(
                    $"Row {rowPosition} of column '{_signalColumnName}' holds {destination[i]} at channel {i / samples}, sample {i % samples}; " +
                    "EEG-DINO needs finite values. Interpolate or drop such rows first.");
            }
        }
    }

    /// <summary>Probabilities <c>[count, classes]</c> of <paramref name="count"/> rows in one forward pass.</summary>
    public void Score(ReadOnlySpan<float> signals, int count, Span<float> probabilities) =>
        _model.PredictProbabilities(signals, count, probabilities);

    /// <summary>The predicted key (1-based) of one row's probabilities: the first maximum.</summary>
    public static uint ArgMaxKey(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[best]) best = i;
        }
        return (uint)(best + 1);
    }

    private static DataViewSchema BuildOutputSchema(DataViewSchema input, EegDinoClassificationModel model)
    {
        int classes = model.NumberOfClasses;
        uint setId = NextScoreColumnSetId(input);
        VBuffer<ReadOnlyMemory<char>>? names = model.ClassNames is { } n
            ? new VBuffer<ReadOnlyMemory<char>>(n.Count, n.Select(s => s.AsMemory()).ToArray())
            : null;
        var namesType = new VectorDataViewType(TextDataViewType.Instance, classes);
        var setIdType = new KeyDataViewType(typeof(uint), int.MaxValue);

        var score = new DataViewSchema.Annotations.Builder();
        if (names is { } slotNames)
        {
            score.Add("SlotNames", namesType, (ref VBuffer<ReadOnlyMemory<char>> v) => slotNames.CopyTo(ref v));
            score.Add("TrainingLabelValues", namesType, (ref VBuffer<ReadOnlyMemory<char>> v) => slotNames.CopyTo(ref v));
        }
        score.Add(ScoreColumnSetId, setIdType, (ref uint v) => v = setId);
        score.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = MulticlassKind.AsMemory());
        score.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "Score".AsMemory());

        var predicted = new DataViewSchema.Annotations.Builder();
        if (names is { } keyValues)
            predicted.Add("KeyValues", namesType, (ref VBuffer<ReadOnlyMemory<char>> v) => keyValues.CopyTo(ref v));
        predicted.Add(ScoreColumnSetId, setIdType, (ref uint v) => v = setId);
        predicted.Add(ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = MulticlassKind.AsMemory());
        predicted.Add(ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = "PredictedLabel".AsMemory());

        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(EegDinoClassificationTransformer.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, classes), score.ToAnnotations());
        builder.AddColumn(EegDinoClassificationTransformer.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), classes), predicted.ToAnnotations());
        return builder.ToSchema();
    }

    /// <summary>One more than the largest score column set id already in the schema (ML.NET numbers each scorer's output set).</summary>
    private static uint NextScoreColumnSetId(DataViewSchema schema)
    {
        uint max = 0;
        foreach (var column in schema)
        {
            if (column.Annotations.Schema.GetColumnOrNull(ScoreColumnSetId) is { } id && id.Type is KeyDataViewType { RawType: var raw } && raw == typeof(uint))
            {
                uint value = 0;
                column.Annotations.GetValue(ScoreColumnSetId, ref value);
                max = Math.Max(max, value);
            }
        }
        return max + 1;
    }
}

/// <summary>The result of <see cref="EegDinoClassificationTransformer.Transform"/>: input plus <c>Score</c> and <c>PredictedLabel</c>, computed lazily in batches.</summary>
internal sealed class ClassificationDataView(IDataView input, ClassificationScoring scoring) : IDataView
{
    public DataViewSchema Schema => scoring.OutputSchema;

    public bool CanShuffle => input.CanShuffle;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (inputColumns, compute) = InputColumnsFor(columnsNeeded);
        return new ClassificationCursor(input.GetRowCursor(inputColumns, rand), scoring, compute);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (inputColumns, compute) = InputColumnsFor(columnsNeeded);
        return input.GetRowCursorSet(inputColumns, n, rand)
            .Select(c => (DataViewRowCursor)new ClassificationCursor(c, scoring, compute)).ToArray();
    }

    private (List<DataViewSchema.Column> InputColumns, bool Compute) InputColumnsFor(IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        var inputColumns = new List<DataViewSchema.Column>();
        bool compute = false;
        foreach (var column in columnsNeeded)
        {
            if (scoring.IsOutput(column.Index)) compute = true;
            else inputColumns.Add(input.Schema[column.Index]);
        }
        if (compute && !inputColumns.Any(c => c.Index == scoring.SignalColumnIndex)) inputColumns.Add(input.Schema[scoring.SignalColumnIndex]);
        return (inputColumns, compute);
    }
}

/// <summary>
/// Pulls up to <c>BatchSize</c> upstream rows, buffers their active columns, scores their signals
/// in one forward pass and serves the rows one by one; only forwards the upstream cursor when
/// neither output column is requested.
/// </summary>
internal sealed class ClassificationCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly ClassificationScoring _scoring;
    private readonly bool _compute;
    private readonly RowValueBuffer?[] _columns = [];
    private readonly ValueGetter<VBuffer<float>>? _signalGetter;
    private readonly ValueGetter<DataViewRowId>? _idGetter;
    private readonly float[] _signals = [];
    private readonly float[] _probabilities = [];
    private readonly DataViewRowId[] _ids = [];
    private readonly long[] _batches = [];
    private VBuffer<float> _signal;
    private int _count;
    private int _slot = -1;
    private long _position = -1;

    public ClassificationCursor(DataViewRowCursor input, ClassificationScoring scoring, bool compute)
    {
        _input = input;
        _scoring = scoring;
        _compute = compute;
        if (!compute) return;
        int capacity = scoring.BatchSize;
        _columns = new RowValueBuffer?[input.Schema.Count];
        foreach (var column in input.Schema)
        {
            if (input.IsColumnActive(column)) _columns[column.Index] = RowValueBuffer.Create(input, column, capacity);
        }
        _signalGetter = input.GetGetter<VBuffer<float>>(input.Schema[scoring.SignalColumnIndex]);
        _idGetter = input.GetIdGetter();
        _signals = new float[capacity * scoring.SignalLength];
        _probabilities = new float[capacity * scoring.NumberOfClasses];
        _ids = new DataViewRowId[capacity];
        _batches = new long[capacity];
    }

    public override DataViewSchema Schema => _scoring.OutputSchema;

    public override long Position => _compute ? _position : _input.Position;

    public override long Batch => _compute ? (_slot >= 0 && _slot < _count ? _batches[_slot] : 0) : _input.Batch;

    public override bool MoveNext()
    {
        if (!_compute) return _input.MoveNext();
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
        int length = _scoring.SignalLength;
        _count = 0;
        while (_count < _scoring.BatchSize && _input.MoveNext())
        {
            foreach (var column in _columns) column?.Capture(_count);
            _idGetter!(ref _ids[_count]);
            _batches[_count] = _input.Batch;
            _signalGetter!(ref _signal);
            _scoring.CopySignal(in _signal, _signals.AsSpan(_count * length, length), _position + 1 + _count);
            _count++;
        }
        if (_count > 0) _scoring.Score(_signals.AsSpan(0, _count * length), _count, _probabilities.AsSpan(0, _count * _scoring.NumberOfClasses));
    }

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        _scoring.IsOutput(column.Index) ? _compute : column.Index < _input.Schema.Count && _input.IsColumnActive(_input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (_scoring.IsOutput(column.Index))
        {
            if (!_compute) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            int classes = _scoring.NumberOfClasses;
            return ClassificationGetters.Create<TValue>(column, _scoring, () => _probabilities.AsSpan(_slot * classes, classes));
        }
        if (!_compute) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        RowValueBuffer buffer = _columns[column.Index] ?? throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        return buffer.CreateGetter(() => _slot) as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' is a {column.Type}; a getter of {typeof(TValue).Name} was requested.");
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() =>
        _compute ? (ref DataViewRowId value) => value = _ids[_slot] : _input.GetIdGetter();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Getters of the two output columns over a row's probabilities.</summary>
internal static class ClassificationGetters
{
    public delegate Span<float> ProbabilitiesSource();

    public static ValueGetter<TValue> Create<TValue>(DataViewSchema.Column column, ClassificationScoring scoring, ProbabilitiesSource probabilities)
    {
        if (column.Index == scoring.ScoreColumnIndex)
        {
            if (typeof(TValue) != typeof(VBuffer<float>))
                throw new InvalidOperationException($"Column '{column.Name}' is a Vector<Single>; a getter of {typeof(TValue).Name} was requested.");
            ValueGetter<VBuffer<float>> score = (ref VBuffer<float> value) =>
            {
                Span<float> p = probabilities();
                var editor = VBufferEditor.Create(ref value, p.Length);
                p.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)score;
        }
        if (typeof(TValue) != typeof(uint))
            throw new InvalidOperationException($"Column '{column.Name}' is a key of UInt32; a getter of {typeof(TValue).Name} was requested.");
        ValueGetter<uint> predicted = (ref uint value) => value = ClassificationScoring.ArgMaxKey(probabilities());
        return (ValueGetter<TValue>)(Delegate)predicted;
    }
}

/// <summary>Row-to-row form for <c>PredictionEngine</c>: each row is scored on its own when an output is first read at its position.</summary>
internal sealed class ClassificationRowMapper(ClassificationScoring scoring) : IRowToRowMapper
{
    public DataViewSchema InputSchema => scoring.InputSchema;

    public DataViewSchema OutputSchema => scoring.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var result = new List<DataViewSchema.Column>();
        foreach (var column in dependingColumns)
        {
            int index = scoring.IsOutput(column.Index) ? scoring.SignalColumnIndex : column.Index;
            if (!result.Any(c => c.Index == index)) result.Add(InputSchema[index]);
        }
        return result;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new ScoredRow(input, scoring, activeColumns.Any(c => scoring.IsOutput(c.Index)));

    private sealed class ScoredRow : DataViewRow
    {
        private readonly DataViewRow _input;
        private readonly ClassificationScoring _scoring;
        private readonly bool _compute;
        private readonly ValueGetter<VBuffer<float>>? _signalGetter;
        private readonly float[] _signal;
        private readonly float[] _probabilities;
        private VBuffer<float> _buffer;
        private readonly float[] _scratch;
        private bool _scored;

        public ScoredRow(DataViewRow input, ClassificationScoring scoring, bool compute)
        {
            _input = input;
            _scoring = scoring;
            _compute = compute;
            _signal = compute ? new float[scoring.SignalLength] : [];
            _scratch = compute ? new float[scoring.SignalLength] : [];
            _probabilities = compute ? new float[scoring.NumberOfClasses] : [];
            if (compute) _signalGetter = input.GetGetter<VBuffer<float>>(input.Schema[scoring.SignalColumnIndex]);
        }

        public override DataViewSchema Schema => _scoring.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            _scoring.IsOutput(column.Index) ? _compute : _input.IsColumnActive(_input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_scoring.IsOutput(column.Index)) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (!_compute) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            return ClassificationGetters.Create<TValue>(column, _scoring, Current);
        }

        private Span<float> Current()
        {
            // PredictionEngine serves every row at position -1 and reads Score and PredictedLabel
            // separately: reuse the last result when the signal is the same, score otherwise.
            _signalGetter!(ref _buffer);
            _scoring.CopySignal(in _buffer, _scratch, _input.Position);
            if (!_scored || !_scratch.AsSpan().SequenceEqual(_signal))
            {
                _scratch.CopyTo(_signal, 0);
                _scoring.Score(_signal, 1, _probabilities);
                _scored = true;
            }
            return _probabilities;
        }
    }
}

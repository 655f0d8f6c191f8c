using EegDino.ML.Model;
using EegDino.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Training;

/// <summary>
/// The scoring transform bound to one input schema: where the signal is, the output schema with
/// ML.NET's multiclass annotations (so that <c>MulticlassClassification.Evaluate</c> and
/// <c>MapKeyToValue</c> work), and the call into the model.
/// </summary>
internal sealed class ClassificationScoring : IBatchedSignalComputation
{
    // ML.NET's annotation kinds and values for scored columns (AnnotationUtils.Kinds / Const, internal there).
    internal const string ScoreColumnKind = "ScoreColumnKind";
    internal const string ScoreValueKind = "ScoreValueKind";
    internal const string ScoreColumnSetId = "ScoreColumnSetId";
    internal const string MulticlassKind = "MulticlassClassification";

    private readonly EegDinoClassificationModel _model;
    private readonly RuntimeLease _lease;
    private readonly string _signalColumnName;

    public ClassificationScoring(DataViewSchema inputSchema, EegDinoClassificationModel model, RuntimeLease lease, string signalColumnName, int batchSize)
    {
        (SignalColumnIndex, int samples) = EmbeddingSchema.CheckInput(inputSchema, signalColumnName, model.NumberOfChannels);
        if (samples != model.SamplesPerChannel)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Column '{signalColumnName}' has {samples} samples per channel ({samples * model.NumberOfChannels} values); " +
                $"the classifier was trained on {model.SamplesPerChannel} ({model.SamplesPerChannel * model.NumberOfChannels} values).");
        }
        _model = model;
        _lease = lease;
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

    /// <summary>The class probabilities.</summary>
    public int OutputLength => NumberOfClasses;

    /// <summary>PredictionEngine reads Score and PredictedLabel separately at position -1: reuse the probabilities while the signal is the same.</summary>
    public SingleRowReuse SingleRowReuse => SingleRowReuse.SameSignal;

    public bool IsOutput(int columnIndex) => columnIndex == ScoreColumnIndex || columnIndex == PredictedLabelColumnIndex;

    /// <summary>Copies one row's signal densely; throws naming the row, channel and sample of a non-finite value.</summary>
    public void CopySignal(in VBuffer<float> signal, Span<float> destination, long rowPosition) =>
        SignalRows.Copy(in signal, destination, _model.SamplesPerChannel, _signalColumnName, rowPosition);

    /// <summary>Probabilities <c>[count, classes]</c> of <paramref name="count"/> rows in one forward pass.</summary>
    public void Compute(ReadOnlySpan<float> signals, int count, Span<float> probabilities) =>
        _lease.Runtime.Compute(signals, count, _model.NumberOfChannels, EncoderOutput.Probabilities, probabilities);

    /// <summary>Getters of the two output columns over a row's probabilities.</summary>
    public ValueGetter<TValue> CreateOutputGetter<TValue>(DataViewSchema.Column column, RowOutputs probabilities)
    {
        if (column.Index == ScoreColumnIndex) return SignalOutputGetters.Vector<TValue>(column, probabilities);
        if (typeof(TValue) != typeof(uint))
            throw new InvalidOperationException($"Column '{column.Name}' is a key of UInt32; a getter of {typeof(TValue).Name} was requested.");
        ValueGetter<uint> predicted = (ref uint value) => value = ArgMaxKey(probabilities());
        return (ValueGetter<TValue>)(Delegate)predicted;
    }

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

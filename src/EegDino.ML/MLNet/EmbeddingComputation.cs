using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// The embedding transform bound to one input schema: where the signal is, how long it is, what
/// the output looks like, and the calls into the shared encoder. Used by the batching cursor and by
/// the row-to-row mapper.
/// </summary>
internal sealed class EmbeddingComputation : IBatchedSignalComputation
{
    private readonly IEmbeddingEncoder _encoder;
    private readonly object _encoderGate;
    private readonly string _inputColumnName;

    public EmbeddingComputation(DataViewSchema inputSchema, IEmbeddingEncoder encoder, object encoderGate,
        string inputColumnName, string outputColumnName, int numberOfChannels, EegDinoEmbeddingKind kind, int batchSize)
    {
        (SignalColumnIndex, SamplesPerChannel) = EmbeddingSchema.CheckInput(inputSchema, inputColumnName, numberOfChannels);
        _encoder = encoder;
        _encoderGate = encoderGate;
        _inputColumnName = inputColumnName;
        InputSchema = inputSchema;
        NumberOfChannels = numberOfChannels;
        Kind = kind;
        BatchSize = batchSize;
        SignalLength = numberOfChannels * SamplesPerChannel;
        OutputLength = EmbeddingKinds.OutputLength(encoder, kind, numberOfChannels, SamplesPerChannel);
        OutputType = EmbeddingSchema.OutputType(encoder, kind, numberOfChannels, SamplesPerChannel);
        OutputSchema = EmbeddingSchema.OutputSchema(inputSchema, outputColumnName, OutputType);
        OutputColumnIndex = OutputSchema.Count - 1;
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }
    public VectorDataViewType OutputType { get; }
    public int SignalColumnIndex { get; }
    public int OutputColumnIndex { get; }
    public int NumberOfChannels { get; }
    public int SamplesPerChannel { get; }
    public int SignalLength { get; }
    public int OutputLength { get; }
    public EegDinoEmbeddingKind Kind { get; }
    public int BatchSize { get; }

    /// <summary>One output column, read once per row: reuse only while the (non-negative) position is the same.</summary>
    public SingleRowReuse SingleRowReuse => SingleRowReuse.SamePosition;

    public bool IsOutput(int columnIndex) => columnIndex == OutputColumnIndex;

    /// <summary>
    /// Copies one row's signal densely into <paramref name="destination"/>; throws
    /// <see cref="EegDinoException"/> naming the row, channel and sample of the first NaN or infinity.
    /// </summary>
    public void CopySignal(in VBuffer<float> signal, Span<float> destination, long rowPosition)
    {
        if (signal.Length != SignalLength)
        {
            throw new EegDinoException(
                $"Row {rowPosition} of column '{_inputColumnName}' holds {signal.Length} values; the schema promised {SignalLength}.");
        }
        ReadOnlySpan<float> values = signal.GetValues();
        if (signal.IsDense)
        {
            values.CopyTo(destination);
        }
        else
        {
            destination.Clear();
            ReadOnlySpan<int> indices = signal.GetIndices();
            for (int i = 0; i < indices.Length; i++) destination[indices[i]] = values[i];
        }
        int bad = IndexOfNonFinite(destination);
        if (bad >= 0)
        {
            throw new EegDinoException(
                $"Row {rowPosition} of column '{_inputColumnName}' holds {destination[bad]} at channel {bad / SamplesPerChannel}, " +
                $"sample {bad % SamplesPerChannel}; EEG-DINO needs finite values. Interpolate or drop such rows before the transform " +
                "(e.g. mlContext.Data.FilterRowsByMissingValues for NaN).");
        }
    }

    /// <summary>One forward pass over <paramref name="count"/> rows; the encoder is shared, so calls are serialized.</summary>
    public void Compute(ReadOnlySpan<float> signals, int count, Span<float> outputs)
    {
        lock (_encoderGate)
        {
            _encoder.Encode(signals, count, NumberOfChannels, Kind, outputs);
        }
    }

    /// <summary>The embedding column's <c>Vector&lt;Single&gt;</c> getter.</summary>
    public ValueGetter<TValue> CreateOutputGetter<TValue>(DataViewSchema.Column column, RowOutputs outputs) =>
        SignalOutputGetters.Vector<TValue>(column, outputs);

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }
        return -1;
    }
}

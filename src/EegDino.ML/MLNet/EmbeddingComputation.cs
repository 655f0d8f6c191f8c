using EegDino.ML.Model;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// The embedding transform bound to one input schema: where the signal is, how long it is, what
/// the output looks like, and the call into the runtime. Used by the batching cursor and by the
/// row-to-row mapper; the lease it is given keeps the network alive for them.
/// </summary>
internal sealed class EmbeddingComputation : IBatchedSignalComputation
{
    private readonly RuntimeLease _lease;
    private readonly string _inputColumnName;
    private readonly EncoderOutput _output;

    public EmbeddingComputation(DataViewSchema inputSchema, RuntimeLease lease, string inputColumnName, string outputColumnName,
        int numberOfChannels, EegDinoEmbeddingKind kind, int batchSize)
    {
        EegDinoRuntime runtime = lease.Runtime;
        (SignalColumnIndex, SamplesPerChannel) = EmbeddingSchema.CheckInput(inputSchema, inputColumnName, numberOfChannels);
        _lease = lease;
        _inputColumnName = inputColumnName;
        _output = OutputOf(kind);
        InputSchema = inputSchema;
        NumberOfChannels = numberOfChannels;
        BatchSize = batchSize;
        SignalLength = numberOfChannels * SamplesPerChannel;
        OutputLength = runtime.OutputLength(_output, numberOfChannels, SamplesPerChannel);
        OutputType = kind == EegDinoEmbeddingKind.Tokens
            ? new VectorDataViewType(NumberDataViewType.Single, runtime.TokenCount(numberOfChannels, SamplesPerChannel), runtime.Config.EmbeddingDim)
            : new VectorDataViewType(NumberDataViewType.Single, runtime.Config.EmbeddingDim);
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
    public int BatchSize { get; }

    /// <summary>One output column, read once per row: reuse only while the (non-negative) position is the same.</summary>
    public SingleRowReuse SingleRowReuse => SingleRowReuse.SamePosition;

    public bool IsOutput(int columnIndex) => columnIndex == OutputColumnIndex;

    public static EncoderOutput OutputOf(EegDinoEmbeddingKind kind) => kind switch
    {
        EegDinoEmbeddingKind.PooledMean => EncoderOutput.PooledMean,
        EegDinoEmbeddingKind.GlobalToken => EncoderOutput.GlobalToken,
        EegDinoEmbeddingKind.Tokens => EncoderOutput.Tokens,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown embedding kind."),
    };

    public void CopySignal(in VBuffer<float> signal, Span<float> destination, long rowPosition) =>
        SignalRows.Copy(in signal, destination, SamplesPerChannel, _inputColumnName, rowPosition);

    /// <summary>One forward pass over <paramref name="count"/> rows (the runtime serialises passes on the shared network).</summary>
    public void Compute(ReadOnlySpan<float> signals, int count, Span<float> outputs) =>
        _lease.Runtime.Compute(signals, count, NumberOfChannels, _output, outputs);

    /// <summary>The embedding column's <c>Vector&lt;Single&gt;</c> getter.</summary>
    public ValueGetter<TValue> CreateOutputGetter<TValue>(DataViewSchema.Column column, RowOutputs outputs) =>
        SignalOutputGetters.Vector<TValue>(column, outputs);
}

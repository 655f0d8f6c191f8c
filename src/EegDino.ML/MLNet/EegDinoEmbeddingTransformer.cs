using EegDino.ML.MLNet;
using EegDino.ML.MLNet.Internals;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML;

/// <summary>
/// Adds an EEG-DINO embedding column computed from a signal column. Made by
/// <see cref="EegDinoEmbeddingEstimator.Fit"/> or loaded from a saved ML.NET model with
/// <c>mlContext.Model.Load</c> (the weights are inside the model zip).
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> is lazy: cursors over its result pull <see cref="BatchSize"/>
/// rows from the input, encode them in one forward pass and serve them one by one; no network runs
/// when the embedding column is not read. <see cref="GetRowToRowMapper"/> (used by
/// <c>PredictionEngine</c>) encodes one row at a time.</para>
/// <para>Thread safety: the transformer may be shared between threads. All cursors and prediction
/// engines made from it share one encoder, and forward passes are serialized on it (libtorch already
/// uses every core within one pass). A <c>PredictionEngine</c> itself is not thread-safe: create one
/// per thread (or use <c>PredictionEnginePool</c>).</para>
/// <para>The transformer owns the network's native memory: dispose it when done (a model loaded with
/// <c>mlContext.Model.Load</c> is a chain: dispose the transformers it contains, or let the
/// finalizers of the TorchSharp tensors free it).</para>
/// </remarks>
public sealed class EegDinoEmbeddingTransformer : ITransformer, IDisposable
{
    private readonly IEmbeddingEncoder _encoder;
    private readonly object _encoderGate = new();
    // The creator holds one reference; every row-to-row mapper (each PredictionEngine) holds another,
    // because ML.NET's PredictionEngine disposes its transformer when it is disposed.
    private int _references = 1;

    internal EegDinoEmbeddingTransformer(IEmbeddingEncoder encoder, string inputColumnName, string outputColumnName,
        int numberOfChannels, EegDinoEmbeddingKind outputKind, int batchSize)
    {
        _encoder = encoder;
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        NumberOfChannels = numberOfChannels;
        OutputKind = outputKind;
        BatchSize = batchSize;
    }

    /// <summary>The signal column read.</summary>
    public string InputColumnName { get; }

    /// <summary>The embedding column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>Channels per row.</summary>
    public int NumberOfChannels { get; }

    /// <summary>What the output column holds.</summary>
    public EegDinoEmbeddingKind OutputKind { get; }

    /// <summary>Rows per forward pass in <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    /// <summary>D, the width of a token: the length of the output for the pooled and global kinds.</summary>
    public int EmbeddingDim => _encoder.EmbeddingDim;

    /// <summary>Always true: the transform maps each row independently.</summary>
    public bool IsRowToRowMapper => true;

    internal IEmbeddingEncoder Encoder => _encoder;

    /// <summary>The schema of <see cref="Transform"/>'s result for data of <paramref name="inputSchema"/>.</summary>
    /// <param name="inputSchema">The schema of the data to transform.</param>
    /// <returns>The input columns followed by the embedding column.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The signal column is missing or not a fitting known-size Vector&lt;Single&gt;.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).OutputSchema;

    /// <summary>A row-to-row mapper (one forward pass per row), as used by <c>PredictionEngine</c>.</summary>
    /// <param name="inputSchema">The schema of the rows to map.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        var mapper = new SignalRowMapper(Bind(inputSchema));
        Interlocked.Increment(ref _references);
        return mapper;
    }

    /// <summary>Adds the embedding column to <paramref name="input"/>, computed lazily, in batches, as rows are read.</summary>
    /// <param name="input">The data, with the signal column.</param>
    /// <returns>A view of the input with the embedding column appended.</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedSignalDataView(input, Bind(input.Schema));
    }

    /// <summary>
    /// Releases the caller's reference; the network's native memory is freed when the last holder
    /// (the creator, or a PredictionEngine made from the transformer) has released it.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        lock (_encoderGate) _encoder.Dispose();
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _references) <= 0, this);
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["InputColumnName"] = InputColumnName,
            ["OutputColumnName"] = OutputColumnName,
            ["NumberOfChannels"] = PersistedModelState.Format(NumberOfChannels),
            ["OutputKind"] = OutputKind.ToString(),
            ["BatchSize"] = PersistedModelState.Format(BatchSize),
        };
        foreach (var (key, value) in _encoder.Settings) properties[key] = value;
        using var weights = new MemoryStream();
        lock (_encoderGate) _encoder.SaveWeights(weights);
        EmbeddingTransformerLoader.Save(ctx, new PersistedModelState(properties, weights.ToArray()));
    }

    internal static EegDinoEmbeddingTransformer FromState(PersistedModelState state)
    {
        string kind = state.GetString(EmbeddingEncoders.KindKey, EmbeddingEncoders.EegDinoKind);
        var encoderSettings = state.Properties.Where(p => p.Key.StartsWith("Encoder.", StringComparison.Ordinal))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        IEmbeddingEncoder encoder = EmbeddingEncoders.FromWeights(kind, state.Weights, encoderSettings);
        try
        {
            int numberOfChannels = state.GetInt32("NumberOfChannels");
            EmbeddingSchema.CheckNumberOfChannels(numberOfChannels, "NumberOfChannels");
            return new EegDinoEmbeddingTransformer(encoder,
                state.GetString("InputColumnName"), state.GetString("OutputColumnName"), numberOfChannels,
                state.GetEnum<EegDinoEmbeddingKind>("OutputKind", EegDinoEmbeddingKind.PooledMean),
                Math.Max(1, state.GetInt32("BatchSize", 16)));
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    private EmbeddingComputation Bind(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _references) <= 0, this);
        return new EmbeddingComputation(inputSchema, _encoder, _encoderGate, InputColumnName, OutputColumnName,
            NumberOfChannels, OutputKind, BatchSize);
    }
}

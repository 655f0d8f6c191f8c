using EegDino.ML.Model;
using EegDino.ML.MLNet;
using EegDino.ML.MLNet.Internals;
using EegDino.ML.Weights;
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
/// engines made from it share one network, and forward passes are serialized on it (libtorch already
/// uses every core within one pass). A <c>PredictionEngine</c> itself is not thread-safe: create one
/// per thread (or use <c>PredictionEnginePool</c>).</para>
/// <para>Lifetime: the transformer owns the network's native memory; dispose it when done (a model
/// loaded with <c>mlContext.Model.Load</c> is a chain: dispose the chain). Each PredictionEngine made
/// from it holds a share of the network of its own, so disposing an engine (which, by ML.NET's
/// default <c>OwnsTransformer = true</c>, calls this transformer's <c>Dispose</c>) leaves the model
/// usable, disposing the model leaves live engines working, and extra <c>Dispose</c> calls do nothing.</para>
/// </remarks>
public sealed class EegDinoEmbeddingTransformer : ITransformer, IDisposable
{
    // *** Binary format *** (the transformer's folder in the model zip; layout in PersistedModelState)
    // Model.key:
    //   ML.NET's header: model signature EEGDINOE, the versions below, loader EegDinoEmbeddingXf of EegDino.ML
    //   int32: 1 (PersistedModelState.LayoutMarker)
    //   string: the writing library's version (informational)
    //   int32 n, then n x (string key, string value) sorted by key: InputColumnName, OutputColumnName,
    //     NumberOfChannels, OutputKind, BatchSize, Encoder.Kind ("EegDino"), Encoder.InputScale,
    //     Encoder.Device, Precision, InputContract (JSON, see EegDinoInputContract), WeightsSha256
    // EegDinoWeights.safetensors: the network's weights, configuration and input contract in its __metadata__.
    //
    // Versions. Each only adds keys that older readers ignore (they default what is missing), so
    // VersionReadable stays 0x00010001:
    //   0x00010001: the first format (EegDino.ML 0.1.0; TestData/mlnet keeps zips of it): no
    //               Precision, InputContract or WeightsSha256.
    //   0x00010002: Precision and InputContract; WeightsSha256, the SHA-256 of EegDinoWeights.safetensors,
    //               required and checked at load.

    /// <summary>Stored in the model zip; never change it (saved models name their loader by it).</summary>
    internal const string LoaderSignature = "EegDinoEmbeddingXf";

    /// <summary>The persistence format and versions (see the binary format above).</summary>
    internal static readonly ModelZipFormat PersistenceFormat = new(
        ModelSignature: "EEGDINOE", LoaderSignature: LoaderSignature,
        VersionWritten: 0x00010002, VersionReadable: 0x00010001, OldestReadable: 0x00010001);

    private readonly TransformerOwnership _ownership;

    internal EegDinoEmbeddingTransformer(RuntimeLease lease, string inputColumnName, string outputColumnName,
        int numberOfChannels, EegDinoEmbeddingKind outputKind, int batchSize, int? fittedSamplesPerChannel)
    {
        _ownership = new TransformerOwnership(lease);
        InputColumnName = inputColumnName;
        OutputColumnName = outputColumnName;
        NumberOfChannels = numberOfChannels;
        OutputKind = outputKind;
        BatchSize = batchSize;
        InputContract = EegDinoInputContract.From(lease.Runtime.Options, lease.Runtime.Config, numberOfChannels, fittedSamplesPerChannel);
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
    public int EmbeddingDim => _ownership.Runtime.Config.EmbeddingDim;

    /// <summary>The number type the network computes in.</summary>
    public EegDinoPrecision Precision => _ownership.Runtime.Options.Precision;

    /// <summary>
    /// The input the model was fitted on: channels (named when the options named them), rate, input
    /// scale, and the window length of the rows seen by <c>Fit</c> (the transform itself accepts other
    /// lengths, but what follows it in a pipeline was trained on this one).
    /// </summary>
    public EegDinoInputContract InputContract { get; }

    /// <summary>Always true: the transform maps each row independently.</summary>
    public bool IsRowToRowMapper => true;

    internal EegDinoRuntime Runtime => _ownership.Runtime;

    /// <summary>The schema of <see cref="Transform"/>'s result for data of <paramref name="inputSchema"/>.</summary>
    /// <param name="inputSchema">The schema of the data to transform.</param>
    /// <returns>The input columns followed by the embedding column.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The signal column is missing or not a fitting known-size Vector&lt;Single&gt;.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema, _ownership.Own).OutputSchema;

    /// <summary>A row-to-row mapper (one forward pass per row), as used by <c>PredictionEngine</c>; it holds its own share of the network.</summary>
    /// <param name="inputSchema">The schema of the rows to map.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        var computation = Bind(inputSchema, _ownership.Own); // schema errors before a lease is taken
        return new SignalRowMapper(Bind(computation.InputSchema, _ownership.ForMapper()));
    }

    /// <summary>Adds the embedding column to <paramref name="input"/>, computed lazily, in batches, as rows are read.</summary>
    /// <param name="input">The data, with the signal column.</param>
    /// <returns>A view of the input with the embedding column appended.</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedSignalDataView(input, Bind(input.Schema, _ownership.Own));
    }

    /// <summary>
    /// Releases a share of the network: a PredictionEngine's while one is outstanding (ML.NET's engines
    /// call this when they are disposed), else the creator's. The native memory is freed when no share
    /// is left; calls after that do nothing.
    /// </summary>
    public void Dispose() => _ownership.Dispose();

    // The properties and their versions: see the binary format at the top of the class. The
    // Encoder.* keys are kept so that older readers load the zip.
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        EegDinoRuntime runtime = _ownership.Runtime;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["InputColumnName"] = InputColumnName,
            ["OutputColumnName"] = OutputColumnName,
            ["NumberOfChannels"] = PersistedModelState.Format(NumberOfChannels),
            ["OutputKind"] = OutputKind.ToString(),
            ["BatchSize"] = PersistedModelState.Format(BatchSize),
            ["Encoder.Kind"] = "EegDino",
            ["Encoder.InputScale"] = PersistedModelState.Format(runtime.Options.InputScale),
            ["Encoder.Device"] = runtime.Options.Device,
            ["Precision"] = runtime.Options.Precision.ToString(),
            ["InputContract"] = InputContract.ToJson(),
        };
        using var weights = new MemoryStream();
        NetworkWeights.Save(runtime, InputContract, weights);
        ModelZipWriter.Save(ctx, PersistenceFormat, new PersistedModelState(properties, weights.ToArray()));
    }

    internal static EegDinoEmbeddingTransformer FromState(PersistedModelState state, (bool FallbackToCpu, int? GpuDeviceId) devices = default, Action<string>? warn = null)
    {
        string kind = state.GetString("Encoder.Kind", "EegDino");
        if (kind != "EegDino")
            throw new EegDinoModelFormatException($"The saved model uses the encoder kind '{kind}', which this library does not know (expected 'EegDino').");
        EegDinoInputContract? contract = state.Properties.TryGetValue("InputContract", out string? json)
            ? EegDinoInputContract.FromJson(json, "the model zip") : null;
        var options = new EegDinoModelOptions
        {
            InputScale = state.GetSingle("Encoder.InputScale", 0.01f),
            Device = LoadDevice(state.GetString("Encoder.Device", "cpu"), devices, warn),
            Precision = state.GetEnum<EegDinoPrecision>("Precision", EegDinoPrecision.Float32),
            ChannelNames = contract?.ChannelNames,
            SamplesPerSecond = contract?.SamplesPerSecond ?? 200,
            Filters = contract?.Filters ?? EegDino.ML.Eeg.EegFilterOptions.None,
        };
        using var stream = new MemoryStream(state.Weights, writable: false);
        var (tensors, metadata) = SafetensorsReader.Read(stream, state.WeightsEntryName);
        var weights = NetworkWeights.FromContents(new CheckpointContents("safetensors", tensors, metadata), EegDinoWeightSource.Student, null, state.WeightsEntryName);
        RuntimeLease lease = EegDinoRuntime.Create(weights, options, withHead: weights.HeadClasses is not null);
        try
        {
            int numberOfChannels = state.GetInt32("NumberOfChannels");
            options.CheckChannels(numberOfChannels, lease.Runtime.Config, "NumberOfChannels");
            return new EegDinoEmbeddingTransformer(lease,
                state.GetString("InputColumnName"), state.GetString("OutputColumnName"), numberOfChannels,
                state.GetEnum<EegDinoEmbeddingKind>("OutputKind", EegDinoEmbeddingKind.PooledMean),
                Math.Max(1, state.GetInt32("BatchSize", 16)), contract?.SamplesPerChannel);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private EmbeddingComputation Bind(DataViewSchema inputSchema, RuntimeLease lease)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new EmbeddingComputation(inputSchema, lease, InputColumnName, OutputColumnName, NumberOfChannels, OutputKind, BatchSize);
    }

    private static string LoadDevice(string saved, (bool FallbackToCpu, int? GpuDeviceId) devices, Action<string>? warn)
    {
        string device = EegDinoRuntime.DeviceForLoad(saved, devices.FallbackToCpu, devices.GpuDeviceId, out string? note);
        if (note is not null) warn?.Invoke(note);
        return device;
    }
}

using System.Text.Json;
using EegDino.ML.Model;
using EegDino.ML.MLNet;
using EegDino.ML.MLNet.Internals;
using EegDino.ML.Training;
using EegDino.ML.Weights;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML;

/// <summary>
/// Scores EEG windows with a trained EEG-DINO classifier: adds <c>Score</c> (class probabilities, a
/// known-size <c>Vector&lt;Single&gt;</c> with the class names as slot names) and <c>PredictedLabel</c>
/// (a key of the label's type, with its key values), the columns ML.NET's multiclass trainers add,
/// so that <c>mlContext.MulticlassClassification.Evaluate</c> and <c>MapKeyToValue</c> work unchanged.
/// Made by <see cref="EegDinoClassifierTrainer"/>, saved and loaded with the ML.NET model (weights inside).
/// </summary>
/// <remarks>
/// <para><see cref="Transform"/> is lazy and batched: cursors pull <see cref="BatchSize"/> rows, score
/// them in one forward pass and serve them one by one; nothing runs when neither output is read.
/// <c>PredictionEngine</c> scores one row per call.</para>
/// <para>Thread safety as <see cref="EegDinoEmbeddingTransformer"/>: forward passes on the shared network
/// are serialised. Dispose the transformer to free the network's native memory.</para>
/// </remarks>
public sealed class EegDinoClassificationTransformer : ISingleFeaturePredictionTransformer<EegDinoClassificationModel>, IDisposable
{
    /// <summary>Name of the probabilities column added by <see cref="Transform"/>.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>Name of the predicted-key column added by <see cref="Transform"/>.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    // *** Binary format *** (the transformer's folder in the model zip; layout in PersistedModelState)
    // Model.key:
    //   ML.NET's header: model signature EEGDINOC, the versions below, loader EegDinoClassifierXf of EegDino.ML
    //   int32: 1 (PersistedModelState.LayoutMarker)
    //   string: the writing library's version (informational)
    //   int32 n, then n x (string key, string value) sorted by key: SignalColumnName, LabelColumnName,
    //     NumberOfChannels, SamplesPerChannel, NumberOfClasses, InputScale, Device, Precision,
    //     InputContract (JSON), BatchSize, History (JSON), ClassNames (JSON, when the label has key
    //     values), WeightsSha256
    // EegDinoWeights.safetensors: the network with its head, configuration in its __metadata__.
    //
    // Versions. Each only adds keys that older readers ignore (they default what is missing), so
    // VersionReadable stays 0x00010001:
    //   0x00010001: the first format (TestData/mlnet keeps a zip of it): no Precision,
    //               InputContract or WeightsSha256.
    //   0x00010002: Precision and InputContract; WeightsSha256, the SHA-256 of EegDinoWeights.safetensors,
    //               required and checked at load.

    /// <summary>Stored in the model zip; never change it (saved models name their loader by it).</summary>
    internal const string LoaderSignature = "EegDinoClassifierXf";

    /// <summary>The persistence format and versions (see the binary format above).</summary>
    internal static readonly ModelZipFormat PersistenceFormat = new(
        ModelSignature: "EEGDINOC", LoaderSignature: LoaderSignature,
        VersionWritten: 0x00010002, VersionReadable: 0x00010001, OldestReadable: 0x00010001);

    private readonly TransformerOwnership _ownership;

    internal EegDinoClassificationTransformer(EegDinoClassificationModel model, string signalColumnName, string labelColumnName, int batchSize)
    {
        _ownership = new TransformerOwnership(model.Lease);
        Model = model;
        SignalColumnName = signalColumnName;
        LabelColumnName = labelColumnName;
        BatchSize = batchSize;
    }

    /// <summary>The trained network with its classes and training history.</summary>
    public EegDinoClassificationModel Model { get; }

    /// <summary>The signal column read.</summary>
    public string SignalColumnName { get; }

    /// <summary>The label column the model was trained on (not read when scoring).</summary>
    public string LabelColumnName { get; }

    /// <summary>Rows per forward pass in <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    /// <summary>What to feed the model (same as <c>Model.InputContract</c>): channels, rate, window length, input scale.</summary>
    public EegDinoInputContract InputContract => Model.InputContract;

    /// <summary>The training history (same as <c>Model.History</c>).</summary>
    public EegDinoTrainingHistory History => Model.History;

    /// <summary>The signal column (ML.NET's feature column for this trainer).</summary>
    public string FeatureColumnName => SignalColumnName;

    /// <summary>The signal column's type: a <c>Vector&lt;Single&gt;</c> of <c>NumberOfChannels * SamplesPerChannel</c>.</summary>
    public DataViewType FeatureColumnType => new VectorDataViewType(NumberDataViewType.Single, Model.NumberOfChannels * Model.SamplesPerChannel);

    /// <summary>Always true: each row is scored independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The schema of <see cref="Transform"/>'s result.</summary>
    /// <param name="inputSchema">The schema of the data to score.</param>
    /// <returns>The input columns followed by <c>Score</c> and <c>PredictedLabel</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The signal column is missing or not of the trained size.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema, _ownership.Own).OutputSchema;

    /// <summary>A row-to-row mapper (one forward pass per row), as used by <c>PredictionEngine</c>; it holds its own share of the network.</summary>
    /// <param name="inputSchema">The schema of the rows to map.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Bind(inputSchema, _ownership.Own); // schema errors before a lease is taken
        return new SignalRowMapper(Bind(inputSchema, _ownership.ForMapper()));
    }

    /// <summary>Adds <c>Score</c> and <c>PredictedLabel</c> to <paramref name="input"/>, computed lazily in batches.</summary>
    /// <param name="input">Data with the signal column.</param>
    /// <returns>The scored view.</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedSignalDataView(input, Bind(input.Schema, _ownership.Own));
    }

    /// <summary>
    /// Releases a share of the network: a PredictionEngine's while one is outstanding (ML.NET's engines
    /// call this when they are disposed), else the model's own. The native memory is freed when no share
    /// is left; calls after that do nothing. See <see cref="EegDinoEmbeddingTransformer"/>'s remarks.
    /// </summary>
    public void Dispose() => _ownership.Dispose();

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        EegDinoRuntime runtime = _ownership.Runtime;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SignalColumnName"] = SignalColumnName,
            ["LabelColumnName"] = LabelColumnName,
            ["NumberOfChannels"] = PersistedModelState.Format(Model.NumberOfChannels),
            ["SamplesPerChannel"] = PersistedModelState.Format(Model.SamplesPerChannel),
            ["NumberOfClasses"] = PersistedModelState.Format(Model.NumberOfClasses),
            ["InputScale"] = PersistedModelState.Format(Model.InputScale),
            ["Device"] = runtime.Options.Device,
            ["Precision"] = runtime.Options.Precision.ToString(),
            ["InputContract"] = Model.InputContract.ToJson(),
            ["BatchSize"] = PersistedModelState.Format(BatchSize),
            ["History"] = EegDinoClassificationModel.HistoryToJson(Model.History),
        };
        if (Model.ClassNames is { } names) properties["ClassNames"] = JsonSerializer.Serialize(names);
        using var weights = new MemoryStream();
        Model.SaveWeights(weights);
        ModelZipWriter.Save(ctx, PersistenceFormat, new PersistedModelState(properties, weights.ToArray()));
    }

    internal static EegDinoClassificationTransformer FromState(PersistedModelState state, (bool FallbackToCpu, int? GpuDeviceId) devices = default, Action<string>? warn = null)
    {
        EegDinoInputContract? contract = state.Properties.TryGetValue("InputContract", out string? contractJson)
            ? EegDinoInputContract.FromJson(contractJson, "the model zip") : null;
        var options = new EegDinoModelOptions
        {
            InputScale = state.GetSingle("InputScale"),
            Device = LoadDevice(state.GetString("Device", "cpu"), devices, warn),
            Precision = state.GetEnum<EegDinoPrecision>("Precision", EegDinoPrecision.Float32),
            ChannelNames = contract?.ChannelNames,
            SamplesPerSecond = contract?.SamplesPerSecond ?? 200,
            Filters = contract?.Filters ?? EegDino.ML.Eeg.EegFilterOptions.None,
        };
        using var stream = new MemoryStream(state.Weights, writable: false);
        var (tensors, metadata) = SafetensorsReader.Read(stream, state.WeightsEntryName);
        var weights = NetworkWeights.FromContents(new CheckpointContents("safetensors", tensors, metadata), EegDinoWeightSource.Student, null, state.WeightsEntryName);
        int classes = state.GetInt32("NumberOfClasses");
        if (weights.HeadClasses != classes)
            throw new EegDinoModelFormatException($"The saved classifier declares {classes} classes, but its weights hold a head with {weights.HeadClasses?.ToString() ?? "no"} classes.");
        var lease = EegDinoRuntime.Create(weights, options, withHead: true);
        try
        {
            string[]? names = state.Properties.TryGetValue("ClassNames", out string? json) ? JsonSerializer.Deserialize<string[]>(json) : null;
            var model = new EegDinoClassificationModel(lease, state.GetInt32("NumberOfChannels"), state.GetInt32("SamplesPerChannel"), names,
                EegDinoClassificationModel.HistoryFromJson(state.GetString("History")));
            return new EegDinoClassificationTransformer(model, state.GetString("SignalColumnName"), state.GetString("LabelColumnName"),
                Math.Max(1, state.GetInt32("BatchSize", 8)));
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private ClassificationScoring Bind(DataViewSchema inputSchema, RuntimeLease lease)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ClassificationScoring(inputSchema, Model, lease, SignalColumnName, BatchSize);
    }

    private static string LoadDevice(string saved, (bool FallbackToCpu, int? GpuDeviceId) devices, Action<string>? warn)
    {
        string device = EegDinoRuntime.DeviceForLoad(saved, devices.FallbackToCpu, devices.GpuDeviceId, out string? note);
        if (note is not null) warn?.Invoke(note);
        return device;
    }
}

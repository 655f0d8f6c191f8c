using EegDino.ML.Model;
using EegDino.ML.MLNet.Internals;
using EegDino.ML.Training;
using EegDino.ML.Weights;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace EegDino.ML;

/// <summary>
/// Trains an EEG-DINO classifier on labelled EEG windows with TorchSharp autograd: the classification
/// head on top of the frozen pre-trained encoder (default), or the encoder too. A multiclass trainer
/// for ML.NET: create it with <c>mlContext.MulticlassClassification.Trainers.EegDino(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Input and output columns
/// | Column | Type | Content |
/// | -- | -- | -- |
/// | `LabelColumnName` (input) | key (e.g. from `MapValueToKey`), at least 2 values | the class; rows with a missing key are skipped |
/// | `SignalColumnName` (input) | known-size vector of `Single`, `C * T` values | channel-major signal, microvolts, 200 Hz, `C` = `NumberOfChannels` |
/// | `Score` (output) | known-size vector of `Single`, one per class | class probabilities (softmax of the head's logits), slot names = the label's key values |
/// | `PredictedLabel` (output) | key of the label's type | the most probable class |
///
/// ### Characteristics
/// | | |
/// | -- | -- |
/// | Machine learning task | Multiclass classification |
/// | Is normalization required? | No (scale microvolts with `InputScale`) |
/// | Is caching required? | No: in head-only mode each row is encoded once and the tokens are kept in memory |
/// | Required NuGet in addition to Microsoft.ML | EegDino.ML, and a TorchSharp backend (TorchSharp-cpu) in the application |
/// | Exportable to ONNX | No |
/// | Saved in the ML.NET model zip | Yes, weights included |
///
/// ### Training algorithm details
/// AdamW with decoupled weight decay on weight matrices, linear warm-up then cosine decay of the learning
/// rate per step, cross-entropy with optional class weights and label smoothing, gradient-norm clipping.
/// In head-only mode the encoder runs once per row (inference mode) and its patch tokens `[C * P, D]` are
/// cached, so each epoch costs only the head. With a validation set (passed to `Fit` or split off with
/// `ValidationFraction`), validation loss and accuracy are measured after every epoch and early stopping
/// can restore the best epoch. The history is in `transformer.Model.History`; every epoch is reported to
/// the MLContext log and to `Options.EpochCompleted`. Repeatable: the seed comes from `Options.Seed` or
/// else from the MLContext's random source (`new MLContext(seed: n)`).
/// ]]></format>
/// </remarks>
public sealed partial class EegDinoClassifierTrainer : ITrainerEstimator<EegDinoClassificationTransformer, EegDinoClassificationModel>
{
    private readonly IHost _host;
    private readonly Options _options;
    private readonly int _environmentSeed;

    internal EegDinoClassifierTrainer(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _host = environment.Register(nameof(EegDinoClassifierTrainer));
        // Drawn once here: the same MLContext seed and the same pipeline construction give the same run.
        _environmentSeed = _host.Rand.Next();
    }

    /// <summary>How ML.NET sees this trainer: no normalisation or caching needed; validation data supported.</summary>
    public TrainerInfo Info { get; } = TrainerInternals.Info();

    /// <summary>Checks the label and signal columns and returns the output shape (input plus <c>Score</c> and <c>PredictedLabel</c>).</summary>
    /// <param name="inputSchema">The shape of the training data.</param>
    /// <returns>The shape of the scored data.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (Find(inputSchema, _options.LabelColumnName) is not { } label)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{_options.LabelColumnName}' is not in the data (columns found: {Names(inputSchema.Select(c => c.Name))}).");
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Label column '{_options.LabelColumnName}' must be a key type (use mlContext.Transforms.Conversion.MapValueToKey); found {Describe(label)}.");
        if (Find(inputSchema, _options.SignalColumnName) is not { } signal)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Signal column '{_options.SignalColumnName}' is not in the data (columns found: {Names(inputSchema.Select(c => c.Name))}).");
        if (signal.Kind != SchemaShape.Column.VectorKind.Vector || signal.ItemType != NumberDataViewType.Single || signal.IsKey)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Signal column '{_options.SignalColumnName}' must be a Vector<Single> of known size (numberOfChannels x samples, channel-major); found {Describe(signal)}.");
        bool hasKeyValues = Find(label.Annotations, "KeyValues") is not null;
        return SchemaShapes.WithMulticlassOutputs(inputSchema, hasKeyValues);
    }

    /// <summary>Trains on <paramref name="input"/> (validation: <see cref="Options.ValidationFraction"/> of it, if set).</summary>
    /// <param name="input">Training data with the label and signal columns.</param>
    /// <returns>The trained classifier; it owns the network: dispose it when done.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing, of the wrong type or size, or the label has fewer than two classes.</exception>
    /// <exception cref="EegDinoException">No labelled rows, a non-finite sample, a checkpoint that cannot be read or whose head does not fit.</exception>
    public EegDinoClassificationTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="trainData"/> and measures every epoch on <paramref name="validationData"/>.</summary>
    /// <param name="trainData">Training data with the label and signal columns.</param>
    /// <param name="validationData">Validation data with the same columns, or null.</param>
    /// <returns>The trained classifier; it owns the network: dispose it when done.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing, of the wrong type or size, or the label has fewer than two classes.</exception>
    /// <exception cref="EegDinoException">No labelled rows, a non-finite sample, a checkpoint that cannot be read or whose head does not fit.</exception>
    public EegDinoClassificationTransformer Fit(IDataView trainData, IDataView? validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        using var channel = _host.Start("Training EEG-DINO classifier");
        var layout = CheckSchema(trainData.Schema, "training");
        if (validationData is not null)
        {
            var validationLayout = CheckSchema(validationData.Schema, "validation");
            if (validationLayout.Classes != layout.Classes || validationLayout.SamplesPerChannel != layout.SamplesPerChannel)
            {
                throw new ArgumentOutOfRangeException(nameof(validationData),
                    $"The validation data has {validationLayout.Classes} classes and {validationLayout.SamplesPerChannel} samples per channel; the training data has {layout.Classes} and {layout.SamplesPerChannel}.");
            }
        }

        int seed = _options.Seed ?? _environmentSeed;
        LabelledSignals training;
        LabelledSignals? validation = null;
        if (_options.NumberOfEpochs == 0)
        {
            training = new LabelledSignals([], [], _options.NumberOfChannels, layout.SamplesPerChannel);
        }
        else
        {
            training = ReadRows(trainData, layout, "training", channel);
            if (validationData is not null) validation = ReadRows(validationData, layout, "validation", channel);
            else if (_options.ValidationFraction > 0) (training, validation) = training.SplitStratified(_options.ValidationFraction, new Random(seed));
            int distinct = training.Labels.Distinct().Count();
            if (distinct < 2)
            {
                string only = layout.ClassNames?[training.Labels[0]] ?? $"key {training.Labels[0] + 1}";
                throw new EegDinoException($"The training data holds only one class ({only}) in label column '{_options.LabelColumnName}'; at least two classes are needed.");
            }
            if (_options.ClassWeights is { } weights && weights.Length != layout.Classes)
                throw new ArgumentException($"ClassWeights has {weights.Length} entries; the label column '{_options.LabelColumnName}' has {layout.Classes} classes.", nameof(Options.ClassWeights));
        }
        if (_options.EarlyStopping != EegDinoEarlyStopping.None && (validation is null || validation.Count == 0) && _options.NumberOfEpochs > 0)
            throw new ArgumentException($"EarlyStopping is {_options.EarlyStopping}, which needs a validation set: pass one to Fit or set ValidationFraction.", nameof(Options.EarlyStopping));

        var checkpoint = NetworkWeights.Load(_options.ModelPath!, _options.WeightSource, _options.Config);
        CheckAgainstModel(checkpoint.Config);
        ClassifierTrainingLoop.ChooseStoredHead(checkpoint, _options.InitialHead, layout.Classes, _options.LabelColumnName);
        channel.Info(MessageSensitivity.None, $"EEG-DINO classifier: {checkpoint.Description}; {_options.Mode}, {training.Count} training and {validation?.Count ?? 0} validation rows, {layout.Classes} classes, seed {seed}.");

        if (PrecisionSupport.SlowPathNote(_options.Precision, EegDinoRuntime.ResolveDevice(_options.Device)) is { } slow)
            channel.Warning(MessageSensitivity.None, slow);

        var progress = new TrainingProgress();
        using var progressChannel = _host.StartProgressChannel("Training EEG-DINO classifier");
        progressChannel.SetHeader(new ProgressHeader(["loss"], ["epoch", "step"]), entry =>
        {
            entry.SetProgress(0, progress.Epoch, progress.Epochs);
            entry.SetProgress(1, progress.Step, progress.StepsPerEpoch);
            entry.SetMetric(0, Volatile.Read(ref progress.LastLoss));
        });
        var reporting = new TrainingReporting(() => TrainerInternals.CheckAlive(_host), message => channel.Info(MessageSensitivity.None, message), progress);
        var result = ClassifierTrainingLoop.Train(_options, checkpoint, layout.Classes, training, validation, seed, reporting);
        RuntimeLease lease = EegDinoRuntime.FromNetwork(result.Network, _options.Model, $"trained from {checkpoint.Description}");
        var model = new EegDinoClassificationModel(lease, _options.NumberOfChannels, layout.SamplesPerChannel, layout.ClassNames, result.History);
        return new EegDinoClassificationTransformer(model, _options.SignalColumnName, _options.LabelColumnName, _options.InferenceBatchSize);
    }

    /// <summary>Checks the options that depend on the model: the channel count against its slots, the fine-tuned layers against its depth.</summary>
    private void CheckAgainstModel(EegDinoConfig config)
    {
        _options.Model.CheckChannels(_options.NumberOfChannels, config, nameof(Options.NumberOfChannels));
        if (_options.Mode == EegDinoTrainingMode.FineTuneLastLayers && _options.NumberOfFineTunedLayers > config.NumberOfLayers)
        {
            throw new ArgumentOutOfRangeException(nameof(Options.NumberOfFineTunedLayers), _options.NumberOfFineTunedLayers,
                $"NumberOfFineTunedLayers is {_options.NumberOfFineTunedLayers}; the model has {config.NumberOfLayers} layers, so 1 to {config.NumberOfLayers} can be fine-tuned (FineTuneAll trains them all and the patch embedding).");
        }
    }

    /// <summary>The most classes a head may have (its last layer is [classes, D / 4]): far above any EEG task, and a bound on what a label key can make the trainer allocate.</summary>
    internal const int MaxClasses = 100_000;

    private sealed record Layout(int LabelIndex, int SignalIndex, int Classes, int SamplesPerChannel, IReadOnlyList<string>? ClassNames);

    private Layout CheckSchema(DataViewSchema schema, string what)
    {
        string name = _options.LabelColumnName;
        var label = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Label column '{name}' is not in the {what} data (columns found: {Names(schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
        if (label.Type is not KeyDataViewType key)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{name}' of the {what} data has type {label.Type}; the EEG-DINO classifier trainer needs a key type, as ML.NET's multiclass trainers do (convert it with mlContext.Transforms.Conversion.MapValueToKey).");
        }
        if (key.Count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{name}' of the {what} data is a key with {key.Count} value(s); a classifier needs at least two classes.");
        }
        if (key.Count > MaxClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{name}' of the {what} data is a key with {key.Count} values; the classifier takes at most {MaxClasses} classes (its head has one output per key value).");
        }
        var (signalIndex, samples) = MLNet.EmbeddingSchema.CheckInput(schema, _options.SignalColumnName, _options.NumberOfChannels);
        return new Layout(label.Index, signalIndex, (int)key.Count, samples, KeyNames(label, (int)key.Count));
    }

    private static IReadOnlyList<string>? KeyNames(DataViewSchema.Column label, int count)
    {
        var keyValues = label.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (keyValues is not { Type: VectorDataViewType { ItemType: TextDataViewType } }) return null;
        VBuffer<ReadOnlyMemory<char>> names = default;
        label.Annotations.GetValue("KeyValues", ref names);
        if (names.Length != count) return null;
        var dense = new ReadOnlyMemory<char>[count];
        names.CopyTo(dense);
        return dense.Select(n => n.ToString()).ToArray();
    }

    /// <summary>Reads every row with a label; checks sizes and finiteness, naming the row, channel and sample of a bad value.</summary>
    private LabelledSignals ReadRows(IDataView data, Layout layout, string what, IChannel channel)
    {
        var labelColumn = data.Schema[layout.LabelIndex];
        var signalColumn = data.Schema[layout.SignalIndex];
        int samples = layout.SamplesPerChannel, length = _options.NumberOfChannels * samples;
        var rows = new List<float[]>();
        var labels = new List<int>();
        long skipped = 0, position = -1;
        using (var cursor = data.GetRowCursor([labelColumn, signalColumn]))
        {
            Func<long> getLabel = KeyGetter(cursor, labelColumn);
            var getSignal = cursor.GetGetter<VBuffer<float>>(signalColumn);
            VBuffer<float> signal = default;
            while (cursor.MoveNext())
            {
                position++;
                long key = getLabel();
                if (key == 0) { skipped++; continue; }
                getSignal(ref signal);
                var row = new float[length];
                MLNet.SignalRows.Copy(in signal, row, samples, _options.SignalColumnName, position, what);
                rows.Add(row);
                labels.Add((int)(key - 1));
            }
        }
        if (skipped > 0) channel.Warning(MessageSensitivity.None, $"Skipped {skipped} {what} rows with a missing label.");
        if (rows.Count == 0)
        {
            throw new EegDinoException(position < 0
                ? $"The {what} data is empty; at least one labelled row per class is needed."
                : $"The {what} data has no row with a label ({skipped} rows, all with a missing key in '{_options.LabelColumnName}').");
        }
        var flat = new float[(long)rows.Count * length];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(flat, (long)i * length);
        return new LabelledSignals(flat, labels.ToArray(), _options.NumberOfChannels, samples);
    }

    /// <summary>A reader of the key as a number (0 = missing) for any key raw type.</summary>
    private static Func<long> KeyGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        Type raw = column.Type.RawType;
        if (raw == typeof(uint)) { var g = cursor.GetGetter<uint>(column); uint v = 0; return () => { g(ref v); return v; }; }
        if (raw == typeof(ushort)) { var g = cursor.GetGetter<ushort>(column); ushort v = 0; return () => { g(ref v); return v; }; }
        if (raw == typeof(byte)) { var g = cursor.GetGetter<byte>(column); byte v = 0; return () => { g(ref v); return v; }; }
        if (raw == typeof(ulong)) { var g = cursor.GetGetter<ulong>(column); ulong v = 0; return () => { g(ref v); return (long)v; }; }
        throw new ArgumentOutOfRangeException(nameof(column), $"Label column '{column.Name}' has the key raw type {raw.Name}; expected Byte, UInt16, UInt32 or UInt64.");
    }

    private static string Describe(SchemaShape.Column column) =>
        $"{(column.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : column.Kind + " of ")}{(column.IsKey ? "Key of " : "")}{column.ItemType}";

    private static SchemaShape.Column? Find(SchemaShape shape, string name) =>
        shape.Where(c => c.Name == name).Select(c => (SchemaShape.Column?)c).LastOrDefault();

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}

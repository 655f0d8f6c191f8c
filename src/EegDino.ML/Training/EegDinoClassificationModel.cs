using System.Text.Json;
using EegDino.ML.Model;
using EegDino.ML.Weights;

namespace EegDino.ML;

/// <summary>
/// The model inside an <see cref="EegDinoClassificationTransformer"/>: the EEG-DINO encoder with its
/// trained classification head, the input conventions it was trained with, the class names and the
/// training history. Made by <see cref="EegDinoClassifierTrainer"/> or loaded with the ML.NET model.
/// </summary>
public sealed class EegDinoClassificationModel : IDisposable
{
    private readonly RuntimeLease _lease;

    internal EegDinoClassificationModel(RuntimeLease lease, int numberOfChannels, int samplesPerChannel,
        IReadOnlyList<string>? classNames, EegDinoTrainingHistory history)
    {
        _lease = lease;
        NumberOfChannels = numberOfChannels;
        SamplesPerChannel = samplesPerChannel;
        ClassNames = classNames;
        History = history;
        InputContract = EegDinoInputContract.From(lease.Runtime.Options, lease.Runtime.Config, numberOfChannels, samplesPerChannel);
    }

    private EegDinoRuntime _runtime
    {
        get
        {
            ObjectDisposedException.ThrowIf(_lease.IsReleased, this);
            return _lease.Runtime;
        }
    }

    /// <summary>Number of classes (the length of the <c>Score</c> vector).</summary>
    public int NumberOfClasses => _runtime.Network.Head!.NumberOfClasses;

    /// <summary>Channels per row.</summary>
    public int NumberOfChannels { get; }

    /// <summary>Samples per channel of the rows the model was trained on (the signal column holds <c>NumberOfChannels * SamplesPerChannel</c> values).</summary>
    public int SamplesPerChannel { get; }

    /// <summary>The label's key values as text, in key order (class i is key i + 1), or null when the label column had none.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The record of the training run (per-epoch losses and accuracies, seed, best epoch); saved and loaded with the model.</summary>
    public EegDinoTrainingHistory History { get; }

    /// <summary>The architecture.</summary>
    public EegDinoConfig Config => _runtime.Config;

    /// <summary>Factor applied to the signal before the network (0.01 for microvolts).</summary>
    public float InputScale => InputContract.InputScale;

    /// <summary>The number type the network computes in.</summary>
    public EegDinoPrecision Precision => _runtime.Options.Precision;

    /// <summary>What to feed the model: channels (and their names when training named them), rate, window length and input scale.</summary>
    public EegDinoInputContract InputContract { get; }

    internal EegDinoRuntime Runtime => _runtime;

    /// <summary>The model's own lease on the network (the transformer's ownership builds on it).</summary>
    internal RuntimeLease Lease => _lease;

    /// <summary>
    /// Writes encoder and head as safetensors in braindecode's key names (<c>final_layer.*</c> for the
    /// head) with the configuration in the metadata, so that <see cref="EegDinoClassifier.Load"/>,
    /// braindecode or this trainer (as a starting point) can read it.
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    public void SaveWeights(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        NetworkWeights.Save(_runtime, InputContract, destination);
    }

    /// <summary>
    /// Class probabilities (softmax of the head's logits) of <paramref name="count"/> rows of
    /// <c>NumberOfChannels * SamplesPerChannel</c> values each, in one forward pass, into
    /// <paramref name="probabilities"/> (<c>[count, NumberOfClasses]</c>).
    /// </summary>
    internal void PredictProbabilities(ReadOnlySpan<float> signals, int count, Span<float> probabilities) =>
        _runtime.Compute(signals, count, NumberOfChannels, EncoderOutput.Probabilities, probabilities);

    /// <summary>Frees the network's native memory.</summary>
    public void Dispose() => _lease.Dispose();

    internal static string HistoryToJson(EegDinoTrainingHistory history) => JsonSerializer.Serialize(new HistoryDto(
        history.Epochs.ToArray(), history.BestEpoch, history.StoppedEarly, history.Mode, history.TrainingRows, history.ValidationRows,
        history.EncoderCacheDuration, history.Seed));

    internal static EegDinoTrainingHistory HistoryFromJson(string json)
    {
        var dto = JsonSerializer.Deserialize<HistoryDto>(json)
            ?? throw new EegDinoModelFormatException("The saved training history is empty.");
        return new EegDinoTrainingHistory(dto.Epochs, dto.BestEpoch, dto.StoppedEarly, dto.Mode, dto.TrainingRows, dto.ValidationRows,
            dto.EncoderCacheDuration, dto.Seed);
    }

    private sealed record HistoryDto(EegDinoEpochSummary[] Epochs, int? BestEpoch, bool StoppedEarly, EegDinoTrainingMode Mode,
        int TrainingRows, int ValidationRows, TimeSpan EncoderCacheDuration, int Seed);
}

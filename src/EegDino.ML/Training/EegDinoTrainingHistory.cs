namespace EegDino.ML;

/// <summary>What one epoch of <see cref="EegDinoClassifierTrainer"/> measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainingLoss">Mean training loss over the epoch's rows (the optimised loss: class weights and label smoothing included, dropout active).</param>
/// <param name="TrainingAccuracy">Fraction of training rows classified correctly while training (dropout active, weights changing during the epoch).</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation set in inference mode (no class weights, no smoothing), or null without a validation set.</param>
/// <param name="ValidationAccuracy">Fraction of validation rows classified correctly, or null without a validation set.</param>
/// <param name="LearningRate">The head's learning rate at the end of the epoch.</param>
/// <param name="Duration">Wall-clock time of the epoch, validation included.</param>
public sealed record EegDinoEpochSummary(
    int Epoch,
    double TrainingLoss,
    double TrainingAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    TimeSpan Duration)
{
    /// <summary>One line for logs, e.g. <c>epoch 3: loss 0.412 acc 0.875 | val loss 0.388 acc 0.900 | lr 9.1e-04 | 1.2 s</c>.</summary>
    /// <returns>The summary as text (invariant culture).</returns>
    public override string ToString()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string validation = ValidationLoss is double vl ? string.Create(c, $" | val loss {vl:F4} acc {ValidationAccuracy:F3}") : "";
        return string.Create(c, $"epoch {Epoch}: loss {TrainingLoss:F4} acc {TrainingAccuracy:F3}{validation} | lr {LearningRate:E1} | {Duration.TotalSeconds:F2} s");
    }
}

/// <summary>The record of one training run of <see cref="EegDinoClassifierTrainer"/>.</summary>
public sealed class EegDinoTrainingHistory
{
    internal EegDinoTrainingHistory(IReadOnlyList<EegDinoEpochSummary> epochs, int? bestEpoch, bool stoppedEarly,
        EegDinoTrainingMode mode, int trainingRows, int validationRows, TimeSpan encoderCacheDuration, int seed)
    {
        Epochs = epochs;
        BestEpoch = bestEpoch;
        StoppedEarly = stoppedEarly;
        Mode = mode;
        TrainingRows = trainingRows;
        ValidationRows = validationRows;
        EncoderCacheDuration = encoderCacheDuration;
        Seed = seed;
    }

    /// <summary>Every epoch that ran, in order.</summary>
    public IReadOnlyList<EegDinoEpochSummary> Epochs { get; }

    /// <summary>
    /// With early stopping, the epoch whose weights the model holds (the best on the watched metric);
    /// null without early stopping (the model holds the last epoch's weights).
    /// </summary>
    public int? BestEpoch { get; }

    /// <summary>Whether early stopping ended training before the configured number of epochs.</summary>
    public bool StoppedEarly { get; }

    /// <summary>The training mode used.</summary>
    public EegDinoTrainingMode Mode { get; }

    /// <summary>Rows trained on (rows with a missing label are not counted).</summary>
    public int TrainingRows { get; }

    /// <summary>Rows in the validation set (0 without one).</summary>
    public int ValidationRows { get; }

    /// <summary>In <see cref="EegDinoTrainingMode.HeadOnly"/> mode, the time spent encoding every row once (before the first epoch); zero otherwise.</summary>
    public TimeSpan EncoderCacheDuration { get; }

    /// <summary>The seed the run used (the option's, or the one drawn from the MLContext).</summary>
    public int Seed { get; }
}

using EegDino.ML.MLNet.Internals;
using Microsoft.ML;

namespace EegDino.ML;

public static partial class EegDinoCatalog
{
    /// <summary>
    /// Trains an EEG-DINO classifier: the classification head on the frozen pre-trained encoder (see
    /// <see cref="EegDinoClassifierTrainer.Options"/> for fine-tuning and every other setting). Reads a
    /// key-typed label column and a signal column, a known-size <c>Vector&lt;Single&gt;</c> of
    /// <paramref name="numberOfChannels"/> x samples, channel-major, microvolts at 200 Hz; the trained
    /// model adds <c>Score</c> and <c>PredictedLabel</c>.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog (<c>mlContext.MulticlassClassification.Trainers</c>).</param>
    /// <param name="labelColumnName">The label column, a key type with at least two values.</param>
    /// <param name="signalColumnName">The signal column.</param>
    /// <param name="modelPath">The pre-trained (or fine-tuned) checkpoint: safetensors file, braindecode folder or released <c>.pt</c>.</param>
    /// <param name="numberOfChannels">Channels per row, 1 to 19.</param>
    /// <returns>The trainer; its seed comes from the MLContext (<c>new MLContext(seed: n)</c> makes training repeatable).</returns>
    /// <exception cref="ArgumentException">An argument is empty or out of range; the message names it and its value.</exception>
    public static EegDinoClassifierTrainer EegDino(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string signalColumnName = "Signal", string modelPath = "", int numberOfChannels = 19)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new EegDinoClassifierTrainer(TrainerInternals.GetEnvironment(catalog), new EegDinoClassifierTrainer.Options
        {
            LabelColumnName = labelColumnName,
            SignalColumnName = signalColumnName,
            ModelPath = modelPath,
            NumberOfChannels = numberOfChannels,
        });
    }

    /// <summary>Trains an EEG-DINO classifier with every setting in <paramref name="options"/>.</summary>
    /// <param name="catalog">The multiclass trainers catalog (<c>mlContext.MulticlassClassification.Trainers</c>).</param>
    /// <param name="options">Columns, checkpoint, mode, optimisation, validation and seed (copied; never modified).</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ArgumentException">An option is empty or out of range; the message names it and its value.</exception>
    public static EegDinoClassifierTrainer EegDino(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        EegDinoClassifierTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new EegDinoClassifierTrainer(TrainerInternals.GetEnvironment(catalog), options);
    }
}

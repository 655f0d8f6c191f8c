namespace EegDino.ML;

/// <summary>Which parameters <see cref="EegDinoClassifierTrainer"/> updates.</summary>
public enum EegDinoTrainingMode
{
    /// <summary>
    /// Only the classification head; the encoder is frozen. The default. The encoder then runs once
    /// per row (in inference mode) and its patch tokens are cached for every epoch, so an epoch costs
    /// only the head's forward and backward passes.
    /// </summary>
    HeadOnly,

    /// <summary>The head and the whole encoder (patch embedding, global tokens and every transformer layer).</summary>
    FineTuneAll,

    /// <summary>
    /// The head and the last <see cref="EegDinoClassifierTrainer.Options.NumberOfFineTunedLayers"/>
    /// transformer layers; the patch embedding, the global tokens and the earlier layers stay frozen.
    /// </summary>
    FineTuneLastLayers,
}

/// <summary>Where the classification head's starting weights come from.</summary>
public enum EegDinoInitialHead
{
    /// <summary>
    /// The head stored in the checkpoint when it has one (<c>final_layer.*</c> or the original fine-tuning
    /// names), otherwise a freshly initialised head. The default. A stored head whose number of classes
    /// differs from the label column's is an error (choose <see cref="Fresh"/> to replace it).
    /// </summary>
    CheckpointIfPresent,

    /// <summary>The head stored in the checkpoint; a checkpoint without a head is an error.</summary>
    Checkpoint,

    /// <summary>A freshly initialised head (PyTorch's default Linear initialisation), ignoring any stored head.</summary>
    Fresh,
}

/// <summary>What early stopping watches on the validation set.</summary>
public enum EegDinoEarlyStopping
{
    /// <summary>No early stopping: every epoch runs and the last epoch's model is returned. The default.</summary>
    None,

    /// <summary>Stops when the validation loss (mean cross-entropy) has not decreased for the patience; returns the best epoch's model.</summary>
    ValidationLoss,

    /// <summary>Stops when the validation accuracy has not increased for the patience; returns the best epoch's model.</summary>
    ValidationAccuracy,
}

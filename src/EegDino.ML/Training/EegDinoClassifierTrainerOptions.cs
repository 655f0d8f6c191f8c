using System.Globalization;

namespace EegDino.ML;

public sealed partial class EegDinoClassifierTrainer
{
    /// <summary>
    /// Settings of <see cref="EegDinoClassifierTrainer"/>. Defaults: head-only training of a fresh head
    /// (or the checkpoint's) for 30 epochs, batch 16, AdamW (learning rate 1e-3, weight decay 0.01),
    /// one warm-up epoch then cosine decay, gradient norm clipped at 1. The trainer copies the options:
    /// changing them after creating the trainer has no effect, and the trainer never writes to them.
    /// </summary>
    public sealed class Options
    {
        /// <summary>The label column: a key type with at least two values (use <c>MapValueToKey</c>). Default "Label".</summary>
        public string LabelColumnName = "Label";

        /// <summary>
        /// The signal column: a known-size <c>Vector&lt;Single&gt;</c> of <see cref="NumberOfChannels"/> x samples,
        /// channel-major, microvolts (see <see cref="InputScale"/>) at 200 Hz. Default "Signal".
        /// </summary>
        public string SignalColumnName = "Signal";

        /// <summary>The model and input settings shared with the encoder and the ML.NET transform; the properties below forward to it.</summary>
        public EegDinoModelOptions Model { get; set; } = new();

        /// <summary>
        /// The pre-trained or fine-tuned model: a safetensors file, a braindecode folder or a released
        /// <c>.pt</c> checkpoint. A head stored in it (braindecode's <c>final_layer.*</c> or the original
        /// fine-tuning code's names) is used according to <see cref="InitialHead"/>. Required.
        /// </summary>
        public string? ModelPath { get => Model.ModelPath; set => Model.ModelPath = value; }

        /// <summary>Channels per row, 1 to the model's channel slots (19 released; channel i uses slot i). Default 19.</summary>
        public int NumberOfChannels = 19;

        /// <summary>Factor applied to the signal before the network; 0.01 for microvolts (the model was pre-trained on microvolts / 100).</summary>
        public float InputScale { get => Model.InputScale; set => Model.InputScale = value; }

        /// <summary>Which encoder to take from a DINO checkpoint holding a student and a teacher. Default student.</summary>
        public EegDinoWeightSource WeightSource { get => Model.WeightSource; set => Model.WeightSource = value; }

        /// <summary>The architecture, for custom checkpoints that neither carry nor reveal it; null to read or detect it.</summary>
        public EegDinoConfig? Config { get => Model.Config; set => Model.Config = value; }

        /// <summary>Torch device, <c>"cpu"</c> (default), <c>"cuda"</c> / <c>"cuda:N"</c> (needs the TorchSharp CUDA package) or <c>"mps"</c>.</summary>
        public string Device { get => Model.Device; set => Model.Device = value; }

        /// <summary>The number type the network computes in; <see cref="EegDinoPrecision.Float32"/> (default) is the parity mode.</summary>
        public EegDinoPrecision Precision { get => Model.Precision; set => Model.Precision = value; }

        /// <summary>What is trained: the head only with the encoder frozen (default), or the encoder too.</summary>
        public EegDinoTrainingMode Mode = EegDinoTrainingMode.HeadOnly;

        /// <summary>With <see cref="EegDinoTrainingMode.FineTuneLastLayers"/>: how many of the last transformer layers are trained. Default 2.</summary>
        public int NumberOfFineTunedLayers = 2;

        /// <summary>Where the head starts from. Default: the checkpoint's head if it has one, else a fresh head.</summary>
        public EegDinoInitialHead InitialHead = EegDinoInitialHead.CheckpointIfPresent;

        /// <summary>
        /// Passes over the training rows. Default 30. 0 trains nothing: the model then scores with the
        /// checkpoint's head unchanged (the training rows are not read, only the schema).
        /// </summary>
        public int NumberOfEpochs = 30;

        /// <summary>Rows per optimiser step. Default 16.</summary>
        public int BatchSize = 16;

        /// <summary>Rows per forward pass when encoding without gradients (head-only cache, validation in fine-tuning modes, scoring). Default 8.</summary>
        public int InferenceBatchSize = 8;

        /// <summary>Peak learning rate of the head (AdamW). Default 1e-3.</summary>
        public double LearningRate = 1e-3;

        /// <summary>Peak learning rate of the trained encoder parameters in the fine-tuning modes; smaller than the head's. Default 1e-5.</summary>
        public double EncoderLearningRate = 1e-5;

        /// <summary>AdamW's decoupled weight decay, applied to weight matrices only (not biases, norms or the global tokens). Default 0.01.</summary>
        public double WeightDecay = 0.01;

        /// <summary>Epochs of linear learning-rate warm-up (fractions allowed), counted in optimiser steps. Default 1.</summary>
        public double WarmupEpochs = 1;

        /// <summary>The cosine decay ends at this fraction of the peak learning rates. Default 0.01.</summary>
        public double MinimumLearningRateFactor = 0.01;

        /// <summary>Maximum global L2 norm of the gradients (clipped per step); 0 disables clipping. Default 1.</summary>
        public double GradientClipNorm = 1.0;

        /// <summary>Label smoothing of the cross-entropy, in [0, 1). Default 0.</summary>
        public double LabelSmoothing;

        /// <summary>
        /// Per-class weights of the training loss, indexed by the label's key value minus one (the key's
        /// order), or null for equal weights. Must have one positive entry per class.
        /// </summary>
        public float[]? ClassWeights;

        /// <summary>
        /// Dropout and drop-path probability in the encoder layers while fine-tuning (braindecode: 0.1).
        /// The head's own dropouts (0.5 and 0.3, as in EEG-DINO) are fixed.
        /// </summary>
        public double Dropout = 0.1;

        /// <summary>
        /// Fraction of the training rows held out (per class) as the validation set when <c>Fit</c> gets no
        /// validation data; 0 (default) for none. Ignored when a validation set is passed to <c>Fit</c>.
        /// </summary>
        public double ValidationFraction;

        /// <summary>Early stopping on the validation set (needs one). Default none.</summary>
        public EegDinoEarlyStopping EarlyStopping = EegDinoEarlyStopping.None;

        /// <summary>Epochs without improvement before early stopping ends training. Default 5.</summary>
        public int EarlyStoppingPatience = 5;

        /// <summary>
        /// Seed of every random choice (head initialisation, dropout, row order, validation split). Null
        /// (default) draws it from the MLContext's random source, so <c>new MLContext(seed: n)</c> makes
        /// training repeatable; the seed used is in <see cref="EegDinoTrainingHistory.Seed"/>.
        /// </summary>
        public int? Seed;

        /// <summary>Called after every epoch with its summary (also logged to the MLContext's log as it happens).</summary>
        public Action<EegDinoEpochSummary>? EpochCompleted;

        internal Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.Model = Model.Clone();
            copy.ClassWeights = (float[]?)ClassWeights?.Clone();
            return copy;
        }

        /// <summary>Checks every option; the message names the option, its value and what was expected.</summary>
        internal void Validate()
        {
            static ArgumentOutOfRangeException Bad(string name, object? value, string expected) =>
                new(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} is {value}; {expected}"));

            if (string.IsNullOrWhiteSpace(LabelColumnName)) throw new ArgumentException("LabelColumnName is empty; name the key-typed label column.", nameof(LabelColumnName));
            if (string.IsNullOrWhiteSpace(SignalColumnName)) throw new ArgumentException("SignalColumnName is empty; name the signal column.", nameof(SignalColumnName));
            if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("ModelPath is empty; give the EEG-DINO checkpoint to start from.", nameof(ModelPath));
            Model.Validate();
            if (NumberOfChannels < 1) throw Bad(nameof(NumberOfChannels), NumberOfChannels, "at least 1 channel per row was expected.");
            if (Model.Config is { } config) Model.CheckChannels(NumberOfChannels, config, nameof(NumberOfChannels));
            if (!Enum.IsDefined(Mode)) throw Bad(nameof(Mode), Mode, "expected HeadOnly, FineTuneAll or FineTuneLastLayers.");
            if (!Enum.IsDefined(InitialHead)) throw Bad(nameof(InitialHead), InitialHead, "expected CheckpointIfPresent, Checkpoint or Fresh.");
            if (!Enum.IsDefined(EarlyStopping)) throw Bad(nameof(EarlyStopping), EarlyStopping, "expected None, ValidationLoss or ValidationAccuracy.");
            if (!Enum.IsDefined(Precision)) throw Bad(nameof(Precision), Precision, $"expected {string.Join(", ", Enum.GetNames<EegDinoPrecision>())}.");
            if (Mode == EegDinoTrainingMode.FineTuneLastLayers && NumberOfFineTunedLayers < 1)
                throw Bad(nameof(NumberOfFineTunedLayers), NumberOfFineTunedLayers, "at least one layer must be trained with FineTuneLastLayers.");
            if (NumberOfEpochs < 0) throw Bad(nameof(NumberOfEpochs), NumberOfEpochs, "0 or more epochs were expected.");
            if (BatchSize < 1) throw Bad(nameof(BatchSize), BatchSize, "at least 1 row per step was expected.");
            if (InferenceBatchSize < 1) throw Bad(nameof(InferenceBatchSize), InferenceBatchSize, "at least 1 row per forward pass was expected.");
            if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw Bad(nameof(LearningRate), LearningRate, "a positive learning rate was expected.");
            if (!(EncoderLearningRate >= 0) || !double.IsFinite(EncoderLearningRate)) throw Bad(nameof(EncoderLearningRate), EncoderLearningRate, "a learning rate of 0 or more was expected.");
            if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw Bad(nameof(WeightDecay), WeightDecay, "0 or more was expected.");
            if (!(WarmupEpochs >= 0) || !double.IsFinite(WarmupEpochs)) throw Bad(nameof(WarmupEpochs), WarmupEpochs, "0 or more epochs were expected.");
            if (!(MinimumLearningRateFactor is >= 0 and <= 1)) throw Bad(nameof(MinimumLearningRateFactor), MinimumLearningRateFactor, "a fraction in [0, 1] was expected.");
            if (!(GradientClipNorm >= 0) || !double.IsFinite(GradientClipNorm)) throw Bad(nameof(GradientClipNorm), GradientClipNorm, "0 (off) or a positive norm was expected.");
            if (!(LabelSmoothing is >= 0 and < 1)) throw Bad(nameof(LabelSmoothing), LabelSmoothing, "a value in [0, 1) was expected.");
            if (!(Dropout is >= 0 and < 1)) throw Bad(nameof(Dropout), Dropout, "a probability in [0, 1) was expected.");
            if (!(ValidationFraction is >= 0 and < 1)) throw Bad(nameof(ValidationFraction), ValidationFraction, "a fraction in [0, 1) was expected.");
            if (EarlyStoppingPatience < 1) throw Bad(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "at least 1 epoch was expected.");
            if (ClassWeights is { } weights && weights.Any(w => !float.IsFinite(w) || w <= 0))
                throw new ArgumentException($"ClassWeights holds {string.Join(", ", weights.Select(w => w.ToString(CultureInfo.InvariantCulture)))}; every weight must be positive and finite.", nameof(ClassWeights));
        }
    }
}

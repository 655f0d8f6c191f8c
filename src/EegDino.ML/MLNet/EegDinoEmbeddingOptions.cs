namespace EegDino.ML;

/// <summary>
/// Options of <see cref="EegDinoEmbeddingEstimator"/>, for
/// <see cref="EegDinoCatalog.EegDinoEmbed(Microsoft.ML.TransformsCatalog, EegDinoEmbeddingOptions)"/>:
/// the columns and row layout, plus the shared <see cref="EegDinoModelOptions"/> (<see cref="Model"/>),
/// whose members the like-named properties here forward to. The estimator copies them: changing an
/// instance after creating the estimator has no effect.
/// </summary>
public sealed class EegDinoEmbeddingOptions
{
    /// <summary>
    /// The input column: a <c>Vector&lt;Single&gt;</c> of known size <c>NumberOfChannels * samples</c>,
    /// channel-major (all samples of channel 0, then channel 1, ...), in microvolts at 200 Hz.
    /// </summary>
    public string InputColumnName = "Signal";

    /// <summary>The output column, a <c>Vector&lt;Single&gt;</c> (see <see cref="OutputKind"/> for its length).</summary>
    public string OutputColumnName = "Embedding";

    /// <summary>Channels per row, 1 to the model's channel slots (19 released; channel i uses slot i).</summary>
    public int NumberOfChannels = 19;

    /// <summary>What the output column holds; by default the mean of the patch tokens.</summary>
    public EegDinoEmbeddingKind OutputKind = EegDinoEmbeddingKind.PooledMean;

    /// <summary>Rows per forward pass when the transform runs over an <c>IDataView</c>. 16 by default.</summary>
    public int BatchSize = 16;

    /// <summary>The model and input settings shared with the encoder and the trainer; the properties below forward to it.</summary>
    public EegDinoModelOptions Model { get; set; } = new();

    /// <summary>
    /// The model: a safetensors file, a braindecode folder or a released <c>.pt</c> checkpoint. Read
    /// once by <c>Fit</c>; the weights are then part of the transformer and of the saved ML.NET model.
    /// </summary>
    public string ModelPath { get => Model.ModelPath ?? ""; set => Model.ModelPath = value; }

    /// <summary>
    /// Multiplies the input before the network. The released model was pre-trained on microvolts
    /// divided by 100, hence 0.01 for input in microvolts; use 1 for data already scaled.
    /// </summary>
    public float InputScale { get => Model.InputScale; set => Model.InputScale = value; }

    /// <summary>The TorchSharp device: <c>"cpu"</c> (default), <c>"cuda"</c>, <c>"cuda:1"</c>... or <c>"mps"</c>.</summary>
    public string Device { get => Model.Device; set => Model.Device = value; }

    /// <summary>
    /// Which encoder to take from a released training checkpoint (<c>.pt</c>) that holds a student
    /// and a teacher: the student by default, as the original fine-tuning code does. Ignored for files
    /// with a single encoder.
    /// </summary>
    public EegDinoWeightSource WeightSource { get => Model.WeightSource; set => Model.WeightSource = value; }

    /// <summary>
    /// The architecture (model size or a custom configuration), overriding what is stored with or
    /// detected from the weights; null (default) to use the file's own. See <see cref="EegDinoConfig.FromPreset"/>.
    /// </summary>
    public EegDinoConfig? Config { get => Model.Config; set => Model.Config = value; }

    /// <summary>The number type the network computes in; <see cref="EegDinoPrecision.Float32"/> (default) is the parity mode.</summary>
    public EegDinoPrecision Precision { get => Model.Precision; set => Model.Precision = value; }

    internal EegDinoEmbeddingOptions Clone()
    {
        var copy = (EegDinoEmbeddingOptions)MemberwiseClone();
        copy.Model = Model.Clone();
        return copy;
    }
}

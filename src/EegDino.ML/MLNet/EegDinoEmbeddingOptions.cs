namespace EegDino.ML;

/// <summary>
/// Options of <see cref="EegDinoEmbeddingEstimator"/>, for
/// <see cref="EegDinoCatalog.EegDinoEmbed(Microsoft.ML.TransformsCatalog, EegDinoEmbeddingOptions)"/>.
/// The estimator copies them: changing an instance after creating the estimator has no effect.
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

    /// <summary>
    /// The model: a safetensors file, a braindecode folder or a released <c>.pt</c> checkpoint. Read
    /// once by <c>Fit</c>; the weights are then part of the transformer and of the saved ML.NET model.
    /// </summary>
    public string ModelPath = "";

    /// <summary>Channels per row, 1 to 19 (EEG-DINO has 19 channel slots; channel i uses slot i).</summary>
    public int NumberOfChannels = 19;

    /// <summary>What the output column holds; by default the mean of the patch tokens.</summary>
    public EegDinoEmbeddingKind OutputKind = EegDinoEmbeddingKind.PooledMean;

    /// <summary>
    /// Multiplies the input before the network. The released model was pre-trained on microvolts
    /// divided by 100, hence 0.01 for input in microvolts; use 1 for data already scaled.
    /// </summary>
    public float InputScale = 0.01f;

    /// <summary>Rows per forward pass when the transform runs over an <c>IDataView</c>. 16 by default.</summary>
    public int BatchSize = 16;

    /// <summary>The TorchSharp device: <c>"cpu"</c> (default) or <c>"cuda"</c>, <c>"cuda:1"</c>...</summary>
    public string Device = "cpu";

    /// <summary>
    /// Which encoder to take from a released training checkpoint (<c>.pt</c>) that holds a student
    /// and a teacher: the student by default, as the original fine-tuning code does. Ignored for files
    /// with a single encoder.
    /// </summary>
    public EegDinoWeightSource WeightSource = EegDinoWeightSource.Student;

    /// <summary>
    /// The architecture (model size or a custom configuration), overriding what is stored with or
    /// detected from the weights; null (default) to use the file's own. See <see cref="EegDinoConfig.FromPreset"/>.
    /// </summary>
    public EegDinoConfig? Config;

    /// <summary>The number type the network computes in; <see cref="EegDinoPrecision.Float32"/> (default) is the parity mode.</summary>
    public EegDinoPrecision Precision = EegDinoPrecision.Float32;

    internal EegDinoEmbeddingOptions Clone() => (EegDinoEmbeddingOptions)MemberwiseClone();
}

namespace EegDino.ML;

/// <summary>Options of <see cref="EegDinoEncoder"/> and <see cref="EegDinoClassifier"/>. Defaults match the released model.</summary>
public sealed class EegDinoEncoderOptions
{
    /// <summary>
    /// Factor applied to the input before the network. The released model was pre-trained on
    /// microvolts divided by 100, so with input in microvolts the default 0.01 is right; use 1 for
    /// input already scaled.
    /// </summary>
    public float InputScale { get; set; } = 0.01f;

    /// <summary>
    /// Torch device: <c>"cpu"</c> (default), <c>"cuda"</c> or <c>"cuda:N"</c>. CUDA needs the TorchSharp
    /// CUDA backend package in the application; without it loading fails with a clear error. (The CUDA
    /// path is written to be correct but is untested: no CUDA package is available to this project's CI.)
    /// </summary>
    public string Device { get; set; } = "cpu";

    /// <summary>Which encoder to take from a training checkpoint holding a student and a teacher (default: student).</summary>
    public EegDinoWeightSource WeightSource { get; set; } = EegDinoWeightSource.Student;

    /// <summary>
    /// The architecture, overriding what is stored with or detected from the weights. Needed only for
    /// custom architectures whose convolution widths match no released size and that carry no
    /// configuration of their own.
    /// </summary>
    public EegDinoConfig? Config { get; set; }

    /// <summary>The number type the network computes in; <see cref="EegDinoPrecision.Float32"/> (default) is the parity mode.</summary>
    public EegDinoPrecision Precision { get; set; } = EegDinoPrecision.Float32;

    internal EegDinoEncoderOptions Clone() => (EegDinoEncoderOptions)MemberwiseClone();

    internal void Validate()
    {
        if (!float.IsFinite(InputScale) || InputScale == 0)
            throw new ArgumentOutOfRangeException(nameof(InputScale), InputScale, "InputScale must be a finite, non-zero number (0.01 for microvolts).");
        if (string.IsNullOrWhiteSpace(Device))
            throw new ArgumentException("Device is empty; expected \"cpu\", \"cuda\" or \"cuda:N\".", nameof(Device));
        if (!Enum.IsDefined(WeightSource))
            throw new ArgumentOutOfRangeException(nameof(WeightSource), WeightSource, "Expected Student or Teacher.");
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Expected Float32, BFloat16 or Float16.");
    }
}

namespace EegDino.ML;

/// <summary>
/// Options of <see cref="EegDinoEncoder"/> and <see cref="EegDinoClassifier"/>: the shared
/// <see cref="EegDinoModelOptions"/> (<see cref="Model"/>). The members below forward to it (they
/// predate it); the input-contract settings (channel names, sampling rate) are set on <see cref="Model"/>.
/// Defaults match the released model.
/// </summary>
public sealed class EegDinoEncoderOptions
{
    /// <summary>The model and input settings shared with the ML.NET transform and the trainer; the members below forward to it.</summary>
    public EegDinoModelOptions Model { get; set; } = new();

    /// <summary>Factor applied to the input before the network (default 0.01 for microvolts); see <see cref="EegDinoModelOptions.InputScale"/>.</summary>
    public float InputScale { get => Model.InputScale; set => Model.InputScale = value; }

    /// <summary>Torch device, <c>"cpu"</c> (default), <c>"cuda"</c>, <c>"cuda:N"</c> or <c>"mps"</c>; see <see cref="EegDinoModelOptions.Device"/>.</summary>
    public string Device { get => Model.Device; set => Model.Device = value; }

    /// <summary>Which encoder to take from a training checkpoint holding a student and a teacher (default: student).</summary>
    public EegDinoWeightSource WeightSource { get => Model.WeightSource; set => Model.WeightSource = value; }

    /// <summary>The architecture, overriding what is stored with or detected from the weights; see <see cref="EegDinoModelOptions.Config"/>.</summary>
    public EegDinoConfig? Config { get => Model.Config; set => Model.Config = value; }

    /// <summary>The number type the network computes in; <see cref="EegDinoPrecision.Float32"/> (default) is the parity mode.</summary>
    public EegDinoPrecision Precision { get => Model.Precision; set => Model.Precision = value; }

    internal EegDinoEncoderOptions Clone() => new() { Model = Model.Clone() };
}

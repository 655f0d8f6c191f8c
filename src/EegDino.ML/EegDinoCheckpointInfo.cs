namespace EegDino.ML;

/// <summary>One tensor stored in a checkpoint, as stored (before any renaming or conversion).</summary>
/// <param name="Name">The key in the file, e.g. <c>module.student.encoder_layers.0.fc1.weight</c>.</param>
/// <param name="DType">The stored element type (<c>F32</c>, <c>F16</c>, <c>BF16</c>, ...).</param>
/// <param name="Shape">The shape.</param>
public sealed record EegDinoCheckpointTensor(string Name, string DType, IReadOnlyList<long> Shape)
{
    /// <summary>Number of values: the product of <see cref="Shape"/>.</summary>
    public long ValueCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>The shape as <c>[a, b, c]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// What a checkpoint holds, read without building the network (<see cref="EegDinoCheckpoint.Inspect"/>):
/// its format and tensors, whether it is a DINO training checkpoint (student and teacher), whether it
/// carries a classification head, what a load would set aside, and the configuration if one can be
/// found or detected.
/// </summary>
public sealed class EegDinoCheckpointInfo
{
    internal EegDinoCheckpointInfo() { }

    /// <summary>The file format, e.g. <c>safetensors</c>, <c>torch.save zip</c>, <c>braindecode folder</c>.</summary>
    public required string Format { get; init; }

    /// <summary>Every tensor in the file, in file order.</summary>
    public required IReadOnlyList<EegDinoCheckpointTensor> Tensors { get; init; }

    /// <summary>Notes of the reader, e.g. entries of a training checkpoint that are not tensors.</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>String metadata stored with the tensors (safetensors <c>__metadata__</c>, folder config), the configuration excluded.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>Whether the file holds a DINO student encoder.</summary>
    public required bool HasStudent { get; init; }

    /// <summary>Whether the file holds a DINO teacher encoder.</summary>
    public required bool HasTeacher { get; init; }

    /// <summary>Tensors of the chosen encoder, under the released key names (head excluded).</summary>
    public required int EncoderTensorCount { get; init; }

    /// <summary>Whether the file carries a classification head (<c>final_layer</c> or a fine-tuning head).</summary>
    public required bool HasHead { get; init; }

    /// <summary>Head tensors renamed from the fine-tuning code's names to <c>final_layer.*</c>.</summary>
    public required int RenamedHeadTensorCount { get; init; }

    /// <summary>What a load sets aside (the other encoder, projectors, optimiser state, ...), summarised.</summary>
    public required string SkippedSummary { get; init; }

    /// <summary>The configuration stored with or detected from the weights; null when neither works (see <see cref="ConfigError"/>).</summary>
    public required EegDinoConfig? Config { get; init; }

    /// <summary>Why <see cref="Config"/> is null; null when it is not.</summary>
    public required string? ConfigError { get; init; }
}

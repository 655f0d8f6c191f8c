namespace EegDino.ML.Weights;

/// <summary>
/// What a checkpoint reader found in a file or folder: every tensor under its key as stored (no
/// prefix stripped yet), the string metadata that may carry a configuration, and a description
/// of the format for reports. <see cref="CheckpointKeyMapper"/> turns this into network keys.
/// </summary>
internal sealed class CheckpointContents
{
    public CheckpointContents(string format, Dictionary<string, WeightTensor> tensors,
        Dictionary<string, string>? metadata = null, string? configJson = null, IReadOnlyList<string>? notes = null)
    {
        Format = format;
        Tensors = tensors;
        Metadata = metadata ?? new Dictionary<string, string>(StringComparer.Ordinal);
        ConfigJson = configJson;
        Notes = notes ?? [];
    }

    /// <summary>e.g. "safetensors", "braindecode folder", "torch checkpoint".</summary>
    public string Format { get; }

    public Dictionary<string, WeightTensor> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>A configuration in braindecode keyword names (a folder's config.json), if any.</summary>
    public string? ConfigJson { get; }

    /// <summary>Non-tensor entries and other facts worth reporting (epoch, optimizer state, ...).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Tensors set aside unread (the encoder that was not chosen, projector heads...), with the reason.</summary>
    public IReadOnlyList<SkippedEntry> NotRead { get; init; } = [];
}

namespace EegDino.ML.Weights;

/// <summary>
/// Opens any supported model path and returns its raw contents. Formats are recognised by content,
/// not by extension: a folder is a braindecode-style folder (<c>config.json</c> + <c>model.safetensors</c>),
/// a file starting with the zip signature is a <c>torch.save</c> checkpoint, anything else is read as
/// safetensors. A new format plugs in here.
/// </summary>
internal static class CheckpointReader
{
    /// <param name="path">A model file or folder.</param>
    /// <param name="source">When given, the tensors of a torch checkpoint that <see cref="CheckpointKeyMapper"/>
    /// sets aside for it (the other encoder of a training checkpoint, projector heads...) are not
    /// read at all: for the Large model that halves the memory needed.</param>
    public static CheckpointContents Read(string path, EegDinoWeightSource? source = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) return ReadBraindecodeFolder(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"The model path '{path}' is neither a file nor a folder.", path);

        if (IsZip(path)) return ReadTorchCheckpoint(path, source);
        var (tensors, metadata) = SafetensorsReader.Read(path);
        return new CheckpointContents("safetensors", tensors, metadata);
    }

    private static CheckpointContents ReadBraindecodeFolder(string folder)
    {
        string weights = Path.Combine(folder, "model.safetensors");
        if (!File.Exists(weights))
            throw new EegDinoModelFormatException($"The model folder '{folder}' has no model.safetensors (a braindecode-style folder holds config.json and model.safetensors).");
        string configPath = Path.Combine(folder, "config.json");
        string? configJson = File.Exists(configPath) ? File.ReadAllText(configPath) : null;
        var (tensors, metadata) = SafetensorsReader.Read(weights);
        return new CheckpointContents("braindecode folder", tensors, metadata, configJson);
    }

    private static CheckpointContents ReadTorchCheckpoint(string path, EegDinoWeightSource? source)
    {
        // With a source, what the key mapper would set aside (the other encoder, projectors...) is
        // never read: for the Large model that halves the memory needed.
        var checkpoint = source is EegDinoWeightSource s
            ? Torch.TorchCheckpointReader.Read(path, CheckpointKeyMapper.SetAsideFor(s))
            : Torch.TorchCheckpointReader.Read(path);
        var notes = new List<string>();
        if (checkpoint.StateDictPath.Length > 0) notes.Add($"weights under '{checkpoint.StateDictPath}'");
        notes.AddRange(checkpoint.OtherEntries);
        foreach (var t in checkpoint.NotLoaded) notes.Add($"{t.Key}: {t.DType} tensor {t.ShapeText} ({t.Reason})");
        var notRead = checkpoint.SetAside.Select(t => new SkippedEntry(t.Key, t.Reason)).ToList();
        var tensors = new Dictionary<string, WeightTensor>(checkpoint.Tensors.Count, StringComparer.Ordinal);
        foreach (var (key, tensor) in checkpoint.Tensors) tensors.Add(key, tensor);
        return new CheckpointContents("torch checkpoint", tensors, notes: notes) { NotRead = notRead };
    }

    private static bool IsZip(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return stream.Read(magic) == 4 && magic[0] == (byte)'P' && magic[1] == (byte)'K' && magic[2] == 3 && magic[3] == 4;
    }
}

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
    /// <param name="source">When given, a torch training checkpoint's other encoder (teacher for the
    /// student and vice versa) is not read at all: for the Large model that halves the memory needed.</param>
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
        var checkpoint = source is EegDinoWeightSource s
            ? Torch.TorchCheckpointReader.Read(path, key => !CheckpointKeyMapper.IsOtherEncoder(key, s))
            : Torch.TorchCheckpointReader.Read(path);
        if (source is EegDinoWeightSource chosen
            && !checkpoint.Tensors.Keys.Any(k => CheckpointKeyMapper.IsEncoder(k, chosen))
            && checkpoint.NotLoaded.Any(t => CheckpointKeyMapper.IsOtherEncoder(t.Key, chosen)))
        {
            // What CheckpointKeyMapper says when it sees both encoders' keys; the other one was not read here.
            string other = chosen == EegDinoWeightSource.Student ? "teacher" : "student";
            throw new EegDinoModelFormatException(
                $"The checkpoint holds only the {other} encoder; the {chosen.ToString().ToLowerInvariant()} was requested. Choose the {other} as weight source.");
        }
        var notes = new List<string>();
        if (checkpoint.StateDictPath.Length > 0) notes.Add($"weights under '{checkpoint.StateDictPath}'");
        notes.AddRange(checkpoint.OtherEntries);
        var notRead = new List<SkippedEntry>();
        foreach (var t in checkpoint.NotLoaded)
        {
            if (source is EegDinoWeightSource src && CheckpointKeyMapper.IsOtherEncoder(t.Key, src))
                notRead.Add(new SkippedEntry(t.Key, src == EegDinoWeightSource.Student ? "teacher encoder (source is student)" : "student encoder (source is teacher)"));
            else
                notes.Add($"{t.Key}: {t.DType} tensor {t.ShapeText} ({t.Reason})");
        }
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

using EegDino.ML.Weights;

namespace EegDino.ML;

/// <summary>
/// Checkpoint tools: look inside a model file without building the network, and convert any
/// supported checkpoint (<c>torch.save</c> training or fine-tuning checkpoint, safetensors,
/// braindecode folder) to one plain safetensors file in the released key names, with its
/// configuration stored, which Python's <c>safetensors</c> and every loader of this library read.
/// </summary>
public static class EegDinoCheckpoint
{
    /// <summary>Reads what <paramref name="path"/> holds; the network is not built.</summary>
    /// <param name="path">A model file or folder.</param>
    /// <param name="source">The encoder to describe in a DINO training checkpoint holding both.</param>
    /// <returns>The file's contents.</returns>
    /// <exception cref="FileNotFoundException">The path is neither a file nor a folder.</exception>
    /// <exception cref="EegDinoModelFormatException">The file cannot be read as a checkpoint.</exception>
    public static EegDinoCheckpointInfo Inspect(string path, EegDinoWeightSource source = EegDinoWeightSource.Student)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var contents = CheckpointReader.Read(path);
        var mapping = CheckpointKeyMapper.MapDetailed(contents.Tensors, source);
        EegDinoConfig? config = null;
        string? configError = null;
        try
        {
            config = NetworkWeights.FromContents(contents, source, null, path).Config;
        }
        catch (EegDinoModelFormatException e)
        {
            configError = e.Message;
        }
        return new EegDinoCheckpointInfo
        {
            Format = contents.Format,
            Tensors = contents.Tensors.Select(t => new EegDinoCheckpointTensor(t.Key, t.Value.SourceDType, t.Value.Shape)).ToList(),
            Notes = contents.Notes,
            Metadata = contents.Metadata.Where(kv => kv.Key != "config").ToDictionary(StringComparer.Ordinal),
            HasStudent = mapping.HasStudent,
            HasTeacher = mapping.HasTeacher,
            EncoderTensorCount = mapping.Tensors.Count(kv => !kv.Key.StartsWith("final_layer.", StringComparison.Ordinal)),
            HasHead = mapping.HasHead,
            RenamedHeadTensorCount = mapping.RenamedHead.Count,
            SkippedSummary = CheckpointKeyMapper.Summarise(mapping.Skipped),
            Config = config,
            ConfigError = configError,
        };
    }

    /// <summary>
    /// Writes <paramref name="input"/>'s encoder (and head, if any) to <paramref name="output"/> as
    /// safetensors in the released key names, its configuration in the metadata. Weights that do not
    /// fit their configuration are refused before anything is written; the written file is read back
    /// and compared with what was meant before it replaces <paramref name="output"/>.
    /// </summary>
    /// <param name="input">A model file or folder.</param>
    /// <param name="output">The safetensors file to write (replaced only once it is complete). It must not be the input.</param>
    /// <param name="source">The encoder to take from a DINO training checkpoint holding both.</param>
    /// <param name="storage">The element type written: <see cref="EegDinoPrecision.Float32"/> (default, exact), <see cref="EegDinoPrecision.Float16"/> or <see cref="EegDinoPrecision.BFloat16"/> (half the size, rounded to nearest even).</param>
    /// <param name="config">The configuration, when it is neither stored in nor detectable from the input.</param>
    /// <returns>What the written file holds.</returns>
    /// <exception cref="ArgumentException">The output is the input.</exception>
    /// <exception cref="EegDinoModelFormatException">The input cannot be read, or the written file does not read back as meant.</exception>
    /// <exception cref="EegDinoWeightsMismatchException">The input's weights do not fit the network of their configuration.</exception>
    public static EegDinoCheckpointInfo Convert(string input, string output, EegDinoWeightSource source = EegDinoWeightSource.Student,
        EegDinoPrecision storage = EegDinoPrecision.Float32, EegDinoConfig? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        ArgumentException.ThrowIfNullOrEmpty(output);
        if (string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
            throw new ArgumentException($"The output '{output}' is the input; write the converted weights to another file.", nameof(output));
        SafetensorsDType dtype = storage switch
        {
            EegDinoPrecision.Float32 => SafetensorsDType.F32,
            EegDinoPrecision.Float16 => SafetensorsDType.F16,
            EegDinoPrecision.BFloat16 => SafetensorsDType.BF16,
            _ => throw new ArgumentOutOfRangeException(nameof(storage), storage, "Expected Float32, Float16 or BFloat16."),
        };
        // The converter refuses weights that do not fit, and reads the written file back strictly
        // (compared value by value) before it replaces the output.
        CheckpointConverter.Convert(input, output, source, dtype, config);
        return Inspect(output);
    }
}

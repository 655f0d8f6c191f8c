using EegDino.ML.Model;

namespace EegDino.ML.Weights;

/// <summary>
/// Converts any supported checkpoint (torch.save training or fine-tuning checkpoint, safetensors,
/// braindecode folder) into one plain safetensors file in the released key names, with the
/// configuration in its <c>__metadata__</c> so it loads without further information.
/// </summary>
internal static class CheckpointConverter
{
    /// <summary>Converts <paramref name="input"/> to <paramref name="output"/> and returns what was written.</summary>
    /// <param name="input">A model file or folder.</param>
    /// <param name="output">The safetensors file to write (replaced atomically).</param>
    /// <param name="source">Student or teacher for DINO training checkpoints.</param>
    /// <param name="dtype">Precision of the written tensors.</param>
    /// <param name="config">The configuration, when it cannot be found in or detected from the input.</param>
    public static NetworkWeights Convert(string input, string output, EegDinoWeightSource source, SafetensorsDType dtype, EegDinoConfig? config = null)
    {
        var weights = NetworkWeights.Load(input, source, config);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "eegdino",
            ["config"] = weights.Config.ToJson(),
            ["source"] = source.ToString().ToLowerInvariant(),
            ["converted_from"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(input)),
        };
        SafetensorsWriter.Write(output, weights.Tensors, metadata, dtype);
        return weights;
    }
}

using EegDino.ML.Model;

namespace EegDino.ML.Weights;

/// <summary>
/// Converts any supported checkpoint (torch.save training or fine-tuning checkpoint, safetensors,
/// braindecode folder) into one plain safetensors file in the released key names, with the
/// configuration in its <c>__metadata__</c> so it loads without further information. What it
/// writes is validated before it replaces the output: read back strictly, loaded into a network
/// of its stored configuration, and compared value by value with what was meant to be written.
/// </summary>
internal static class CheckpointConverter
{
    /// <summary>Converts <paramref name="input"/> to <paramref name="output"/> and returns what was written.</summary>
    /// <param name="input">A model file or folder.</param>
    /// <param name="output">The safetensors file to write (replaced only by a validated file).</param>
    /// <param name="source">Student or teacher for DINO training checkpoints.</param>
    /// <param name="dtype">Precision of the written tensors.</param>
    /// <param name="config">The configuration, when it cannot be found in or detected from the input.</param>
    /// <exception cref="EegDinoWeightsMismatchException">The input's weights do not fit the network of their configuration.</exception>
    /// <exception cref="EegDinoModelFormatException">The written file does not read back as what was meant.</exception>
    public static NetworkWeights Convert(string input, string output, EegDinoWeightSource source, SafetensorsDType dtype, EegDinoConfig? config = null)
    {
        var weights = NetworkWeights.Load(input, source, config);
        // Refuse before writing anything: a converted file that cannot load is no use.
        CheckStrictly(weights);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "eegdino",
            ["config"] = weights.Config.ToJson(),
            ["source"] = source.ToString().ToLowerInvariant(),
            ["converted_from"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(input)),
        };
        string written = output + ".validating";
        try
        {
            SafetensorsWriter.Write(written, weights.Tensors, metadata, dtype);
            Validate(written, weights, dtype);
            File.Move(written, output, overwrite: true);
        }
        finally
        {
            File.Delete(written);
        }
        return weights;
    }

    /// <summary>
    /// Reads <paramref name="path"/> back as a model (configuration from its metadata only), loads
    /// it strictly into a network and checks that every tensor holds the values of
    /// <paramref name="expected"/> in <paramref name="dtype"/>, and nothing else.
    /// </summary>
    /// <exception cref="EegDinoModelFormatException">The file differs, naming the first difference.</exception>
    public static void Validate(string path, NetworkWeights expected, SafetensorsDType dtype)
    {
        string name = Path.GetFileName(path);
        var (tensors, metadata) = SafetensorsReader.Read(path);
        var readBack = NetworkWeights.FromContents(new CheckpointContents("safetensors", tensors, metadata), EegDinoWeightSource.Student, null, path);
        if (!readBack.Config.Equals(expected.Config))
            throw Differs(name, $"its configuration reads back as {readBack.Config}; {expected.Config} was written");
        if (readBack.HeadClasses != expected.HeadClasses)
            throw Differs(name, $"its head reads back with {readBack.HeadClasses?.ToString() ?? "no"} classes; {expected.HeadClasses?.ToString() ?? "no"} were written");
        CheckStrictly(readBack);

        var extra = readBack.Tensors.Keys.Except(expected.Tensors.Keys).Order(StringComparer.Ordinal).ToList();
        var lost = expected.Tensors.Keys.Except(readBack.Tensors.Keys).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0 || lost.Count > 0)
            throw Differs(name, $"its tensors differ from those written (not written: {string.Join(", ", extra)}; lost: {string.Join(", ", lost)})");
        foreach (var (key, want) in expected.Tensors)
        {
            var got = readBack.Tensors[key];
            if (!got.Shape.SequenceEqual(want.Shape)) throw Differs(name, $"tensor '{key}' reads back as {got.ShapeText}; {want.ShapeText} was written");
            for (int i = 0; i < want.Data.Length; i++)
            {
                float meant = InDType(want.Data[i], dtype);
                if (!SameValue(got.Data[i], meant))
                    throw Differs(name, $"tensor '{key}' element {i} reads back as {got.Data[i]:R}; {meant:R} was written");
            }
        }
    }

    // Builds the network of the weights' configuration and copies them in strictly (missing,
    // unexpected and mis-shaped keys all reported at once).
    private static void CheckStrictly(NetworkWeights weights)
    {
        using var network = new EegDinoNetwork(weights.Config, weights.HeadClasses);
        weights.CopyTo(network, ignoreHead: false);
    }

    /// <summary>The float32 value <paramref name="value"/> has once written as <paramref name="dtype"/>.</summary>
    private static float InDType(float value, SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => value,
        SafetensorsDType.F16 => (float)(Half)value,
        _ => BitConverter.Int32BitsToSingle(SafetensorsWriter.ToBFloat16(value) << 16),
    };

    private static bool SameValue(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));

    private static EegDinoModelFormatException Differs(string name, string what) =>
        new($"The converted file '{name}' does not read back as what was written: {what}. Nothing was replaced.");
}

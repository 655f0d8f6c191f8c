using System.Globalization;
using System.Text.RegularExpressions;
using EegDino.ML.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Weights;

/// <summary>
/// Everything needed to build a network from a checkpoint: the tensors under network keys, the
/// resolved configuration and whether a head is present. Also copies the tensors into a network
/// strictly and reads them back out for saving.
/// </summary>
internal sealed partial class NetworkWeights
{
    private NetworkWeights(Dictionary<string, WeightTensor> tensors, EegDinoConfig config, int? headClasses, string description,
        EegDinoInputContract? storedContract)
    {
        Tensors = tensors;
        Config = config;
        HeadClasses = headClasses;
        Description = description;
        StoredContract = storedContract;
    }

    public Dictionary<string, WeightTensor> Tensors { get; }

    public EegDinoConfig Config { get; }

    /// <summary>Number of classes of the <c>final_layer</c> head, or null without a head.</summary>
    public int? HeadClasses { get; }

    /// <summary>Format, configuration and skipped entries, for reports.</summary>
    public string Description { get; }

    /// <summary>The input contract in the file's metadata (safetensors written by this library), if any.</summary>
    public EegDinoInputContract? StoredContract { get; }

    /// <summary>
    /// Reads a model path (file or folder) and resolves the configuration: the explicit override
    /// first, then a configuration stored with the weights (folder config.json, safetensors metadata),
    /// then detection from the weight shapes.
    /// </summary>
    public static NetworkWeights Load(string path, EegDinoWeightSource source, EegDinoConfig? configOverride) =>
        FromContents(CheckpointReader.Read(path, source), source, configOverride, path);

    public static NetworkWeights FromContents(CheckpointContents contents, EegDinoWeightSource source, EegDinoConfig? configOverride, string name)
    {
        var mapping = CheckpointKeyMapper.MapDetailed(contents.Tensors, source);
        var tensors = mapping.Tensors;
        EegDinoConfig config = configOverride
            ?? (contents.ConfigJson is not null ? EegDinoConfig.FromJson(contents.ConfigJson) : null)
            ?? EegDinoConfig.FromMetadata(contents.Metadata, DetectOrNull(tensors))
            ?? Detect(tensors, name);
        int? classes = tensors.TryGetValue("final_layer.classifier.6.weight", out var last) && last.Shape.Length == 2
            ? (int)last.Shape[0] : null;
        ThrowIfNotFinite(tensors, name);
        string description = $"{contents.Format} '{name}': {config}; {(classes is int c ? $"head with {c} classes" : "no head")}; {CheckpointKeyMapper.Summarise([.. contents.NotRead, .. mapping.Skipped])}";
        EegDinoInputContract? contract = contents.Metadata.TryGetValue(EegDinoInputContract.MetadataKey, out string? json)
            ? EegDinoInputContract.FromJson(json, $"'{name}'") : null;
        return new NetworkWeights(tensors, config, classes, description, contract);
    }

    /// <summary>
    /// Refuses a weight holding NaN or infinity, naming the tensor and the position: such a weight
    /// makes every output NaN, so it is an error at load, not at the first forward pass.
    /// </summary>
    private static void ThrowIfNotFinite(Dictionary<string, WeightTensor> tensors, string name)
    {
        foreach (var (key, tensor) in tensors)
        {
            float[] data = tensor.Data;
            for (int i = 0; i < data.Length; i++)
            {
                if (!float.IsFinite(data[i]))
                {
                    throw new EegDinoModelFormatException(
                        $"The weight {key} [{string.Join(", ", tensor.Shape)}] of '{name}' holds {data[i]} at flat index {i}; every weight must be finite (the file is corrupt, or training diverged).");
                }
            }
        }
    }

    [GeneratedRegex(@"^encoder_layers\.(\d+)\.")]
    private static partial Regex LayerKey();

    private static EegDinoConfig? DetectOrNull(Dictionary<string, WeightTensor> tensors)
    {
        try
        {
            return Detect(tensors, "");
        }
        catch (EegDinoModelFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Detects the configuration from weight shapes: the embedding width from <c>global_tokens</c>,
    /// layers by counting <c>encoder_layers.N</c>, feed-forward width from <c>fc1</c>, convolutions
    /// from <c>proj_in</c>. Strides, paddings and GroupNorm groups are not in the weights: the released
    /// convolution widths identify the preset; other widths need an explicit configuration. The head
    /// count is not in the weights either: 8, as every released size.
    /// </summary>
    public static EegDinoConfig Detect(IReadOnlyDictionary<string, WeightTensor> tensors, string name)
    {
        if (!tensors.TryGetValue("global_tokens", out var global) || global.Shape.Length != 3)
            throw new EegDinoModelFormatException($"Cannot detect the configuration of '{name}': it has no global_tokens [1, G, D] tensor. Give the configuration explicitly.");
        int dim = (int)global.Shape[2];
        int globalTokens = (int)global.Shape[1];
        int layers = tensors.Keys.Select(k => LayerKey().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        if (layers < 1) throw new EegDinoModelFormatException($"Cannot detect the configuration of '{name}': it has no encoder_layers.N.* tensors.");
        if (!tensors.TryGetValue("encoder_layers.0.mlp.fc1.weight", out var fc1) || fc1.Shape.Length != 2)
            throw new EegDinoModelFormatException($"Cannot detect the configuration of '{name}': encoder_layers.0.mlp.fc1.weight is missing.");
        var widths = new[] { 0, 3, 6 }.Select(i => tensors.TryGetValue($"patch_embedding.proj_in.{i}.weight", out var w) ? (int)w.Shape[0] : -1).ToArray();

        foreach (var size in Enum.GetValues<EegDinoSize>())
        {
            var preset = EegDinoConfig.FromPreset(size);
            if (preset.Convolutions.Select(c => c.OutChannels).SequenceEqual(widths) && preset.EmbeddingDim == dim)
            {
                return new EegDinoConfig(layers, preset.NumberOfHeads, (int)fc1.Shape[0], preset.Convolutions,
                    tensors.TryGetValue("patch_embedding.channel_embedding.weight", out var ch) ? (int)ch.Shape[1] : 19,
                    globalTokens, 1, preset.PatchSize);
            }
        }
        throw new EegDinoModelFormatException(
            $"Cannot detect the configuration of '{name}': convolution widths ({string.Join(", ", widths)}) with embedding width {dim} match no released size " +
            "(Small 25,25,25 / 200; Medium 64,128,64 / 512; Large 128,256,128 / 1024), and GroupNorm groups, strides and paddings are not stored in the weights. " +
            "Give the configuration (braindecode keyword names) as a config.json next to model.safetensors, in the safetensors metadata, or as an option.");
    }

    /// <summary>
    /// Copies the tensors into <paramref name="network"/>. Strict: every network parameter must be
    /// present with its exact shape and nothing else may be left over, except that a head in the
    /// weights is ignored when the network has none (<paramref name="ignoreHead"/>). All problems are
    /// reported together in one <see cref="EegDinoWeightsMismatchException"/>.
    /// </summary>
    public void CopyTo(EegDinoNetwork network, bool ignoreHead)
    {
        var parameters = network.state_dict();
        var missing = new List<string>();
        var misShaped = new List<(string, long[], long[])>();
        foreach (var (key, parameter) in parameters)
        {
            if (!Tensors.TryGetValue(key, out var source)) { missing.Add(key); continue; }
            if (!source.Shape.SequenceEqual(parameter.shape)) misShaped.Add((key, parameter.shape, source.Shape));
        }
        var unexpected = Tensors.Keys
            .Where(k => !parameters.ContainsKey(k) && !(ignoreHead && k.StartsWith("final_layer.", StringComparison.Ordinal)))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || misShaped.Count > 0)
            throw new EegDinoWeightsMismatchException(missing, unexpected, misShaped);

        using var noGrad = no_grad();
        foreach (var (key, parameter) in parameters)
        {
            var source = Tensors[key];
            using var values = tensor(source.Data, source.Shape, dtype: ScalarType.Float32);
            parameter.copy_(values);
        }
    }

    /// <summary>
    /// Writes the runtime's network (encoder, and head if present) as safetensors in the released key
    /// names, with the configuration and the input contract in the metadata, so that a load needs no
    /// other information and a reader can tell what input the model expects.
    /// </summary>
    public static void Save(EegDinoRuntime runtime, EegDinoInputContract contract, Stream destination)
    {
        var tensors = runtime.Run(() => Extract(runtime.Network));
        SafetensorsWriter.Write(destination, tensors, new Dictionary<string, string>
        {
            ["format"] = "eegdino",
            ["config"] = runtime.Config.ToJson(),
            [EegDinoInputContract.MetadataKey] = contract.ToJson(),
        });
    }

    /// <summary>The network's tensors in the released key names, as float32 arrays.</summary>
    public static Dictionary<string, WeightTensor> Extract(EegDinoNetwork network)
    {
        var result = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        using var scope = NewDisposeScope(); // roots the intermediate tensors until their native calls return
        foreach (var (key, parameter) in network.state_dict())
        {
            Tensor cpu = parameter.detach().to(ScalarType.Float32, CPU).contiguous();
            result[key] = new WeightTensor(parameter.shape, cpu.data<float>().ToArray());
        }
        return result;
    }
}

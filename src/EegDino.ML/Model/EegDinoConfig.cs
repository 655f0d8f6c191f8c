using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EegDino.ML;

/// <summary>The released EEG-DINO model sizes.</summary>
public enum EegDinoSize
{
    /// <summary>Embedding 200, 12 layers, 8 heads, feed-forward 512, convolutions (25, 25, 25).</summary>
    Small,

    /// <summary>Embedding 512, 16 layers, 8 heads, feed-forward 1024, convolutions (64, 128, 64).</summary>
    Medium,

    /// <summary>Embedding 1024, 24 layers, 8 heads, feed-forward 2048, convolutions (128, 256, 128).</summary>
    Large,
}

/// <summary>
/// One time-domain convolution of the patch embedding, as braindecode's
/// <c>channels_kernel_stride_padding_norm</c> entry <c>(out_channels, kernel, stride, padding,
/// (groups, group_channels))</c>: a Conv2d with kernel <c>(1, kernel)</c> followed by
/// <c>GroupNorm(groups, group_channels)</c> and GELU.
/// </summary>
/// <param name="OutChannels">Output channels of the convolution.</param>
/// <param name="Kernel">Kernel width in samples.</param>
/// <param name="Stride">Stride in samples.</param>
/// <param name="Padding">Zero padding on each side, in samples.</param>
/// <param name="NormGroups">Number of GroupNorm groups.</param>
/// <param name="NormChannels">Channels GroupNorm normalises; must equal <paramref name="OutChannels"/>.</param>
public sealed record EegDinoConvSpec(int OutChannels, int Kernel, int Stride, int Padding, int NormGroups, int NormChannels);

/// <summary>
/// The architecture of an EEG-DINO network, in braindecode's <c>EEGDINO</c> keyword names
/// (<c>n_layer</c>, <c>nhead</c>, <c>dim_feedforward</c>, <c>channels_kernel_stride_padding_norm</c>,
/// <c>n_channel_embeddings</c>, <c>n_global_tokens</c>, <c>global_token_layer</c>, <c>patch_size</c>).
/// The embedding width is derived from the convolutions, as in braindecode. Instances are immutable
/// and always valid: every factory validates and throws <see cref="EegDinoModelFormatException"/>
/// naming the field, its value and what was expected.
/// </summary>
public sealed class EegDinoConfig : IEquatable<EegDinoConfig>
{
    /// <summary>Creates and validates a configuration.</summary>
    /// <param name="numberOfLayers"><c>n_layer</c>: transformer layers.</param>
    /// <param name="numberOfHeads"><c>nhead</c>: attention heads; must divide the embedding width.</param>
    /// <param name="feedForwardDim"><c>dim_feedforward</c>: hidden width of each layer's MLP.</param>
    /// <param name="convolutions"><c>channels_kernel_stride_padding_norm</c>: the patch embedding's convolutions.</param>
    /// <param name="numberOfChannelEmbeddings"><c>n_channel_embeddings</c>: one-hot channel slots (19 released).</param>
    /// <param name="numberOfGlobalTokens"><c>n_global_tokens</c>: learnable summary tokens.</param>
    /// <param name="globalTokenLayer"><c>global_token_layer</c>: 1-based layer after which the global tokens are prepended.</param>
    /// <param name="patchSize"><c>patch_size</c>: samples per patch (200 = 1 s at 200 Hz).</param>
    public EegDinoConfig(
        int numberOfLayers,
        int numberOfHeads,
        int feedForwardDim,
        IReadOnlyList<EegDinoConvSpec> convolutions,
        int numberOfChannelEmbeddings = 19,
        int numberOfGlobalTokens = 1,
        int globalTokenLayer = 1,
        int patchSize = 200)
    {
        NumberOfLayers = numberOfLayers;
        NumberOfHeads = numberOfHeads;
        FeedForwardDim = feedForwardDim;
        Convolutions = convolutions?.ToArray() ?? throw new EegDinoModelFormatException("channels_kernel_stride_padding_norm is missing.");
        NumberOfChannelEmbeddings = numberOfChannelEmbeddings;
        NumberOfGlobalTokens = numberOfGlobalTokens;
        GlobalTokenLayer = globalTokenLayer;
        PatchSize = patchSize;
        (ConvOutputLength, EmbeddingDim) = Validate();
    }

    /// <summary><c>n_layer</c>: number of transformer layers.</summary>
    public int NumberOfLayers { get; }

    /// <summary><c>nhead</c>: number of attention heads (8 for every released size).</summary>
    public int NumberOfHeads { get; }

    /// <summary><c>dim_feedforward</c>: hidden width of each layer's MLP.</summary>
    public int FeedForwardDim { get; }

    /// <summary><c>channels_kernel_stride_padding_norm</c>: the patch embedding's convolutions, in order.</summary>
    public IReadOnlyList<EegDinoConvSpec> Convolutions { get; }

    /// <summary><c>n_channel_embeddings</c>: number of one-hot channel slots; input channel i uses slot i.</summary>
    public int NumberOfChannelEmbeddings { get; }

    /// <summary><c>n_global_tokens</c>: number of learnable summary tokens.</summary>
    public int NumberOfGlobalTokens { get; }

    /// <summary><c>global_token_layer</c>: 1-based index of the layer after which the global tokens are prepended.</summary>
    public int GlobalTokenLayer { get; }

    /// <summary><c>patch_size</c>: samples per patch.</summary>
    public int PatchSize { get; }

    /// <summary>Embedding width D, derived: last convolution's channels times its output length.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Width of one attention head: <see cref="EmbeddingDim"/> / <see cref="NumberOfHeads"/>.</summary>
    public int HeadDim => EmbeddingDim / NumberOfHeads;

    /// <summary>Number of rfft bins of one patch: <see cref="PatchSize"/> / 2 + 1.</summary>
    public int SpectralBins => PatchSize / 2 + 1;

    /// <summary>Samples per patch after the convolutions.</summary>
    public int ConvOutputLength { get; }

    /// <summary>The preset of a released size (8 heads for all three, as the released weights need).</summary>
    /// <param name="size">The size.</param>
    /// <returns>The configuration of that size.</returns>
    public static EegDinoConfig FromPreset(EegDinoSize size) => size switch
    {
        EegDinoSize.Small => new EegDinoConfig(12, 8, 512, ReleasedConvolutions(25, 25, 25, 5)),
        EegDinoSize.Medium => new EegDinoConfig(16, 8, 1024, ReleasedConvolutions(64, 128, 64, 8)),
        EegDinoSize.Large => new EegDinoConfig(24, 8, 2048, ReleasedConvolutions(128, 256, 128, 16)),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Expected Small, Medium or Large."),
    };

    /// <summary>The released size this configuration equals, or null for a custom configuration.</summary>
    public EegDinoSize? MatchingPreset =>
        Enum.GetValues<EegDinoSize>().Select(s => (EegDinoSize?)s).FirstOrDefault(s => Equals(FromPreset(s!.Value)));

    /// <summary>
    /// Reads a configuration from JSON in braindecode's keyword names (e.g. a braindecode
    /// <c>config.json</c>); keys it does not know (<c>n_outputs</c>, <c>sfreq</c>, ...) are ignored.
    /// Missing keys take braindecode's defaults (the Small configuration).
    /// </summary>
    /// <param name="json">The JSON object text.</param>
    /// <returns>The validated configuration.</returns>
    public static EegDinoConfig FromJson(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new EegDinoModelFormatException($"The configuration is not valid JSON: {e.Message}", e);
        }
        if (node is not JsonObject obj) throw new EegDinoModelFormatException("The configuration JSON is not an object.");
        return FromKeywords(k => obj[k]);
    }

    /// <summary>
    /// Reads a configuration from string key/value pairs (safetensors <c>__metadata__</c>): either a
    /// <c>config</c> entry holding the JSON, or the keyword names as separate entries
    /// (values as JSON text, e.g. <c>"nhead": "4"</c>).
    /// </summary>
    internal static EegDinoConfig? FromMetadata(IReadOnlyDictionary<string, string> metadata, EegDinoConfig? fallback)
    {
        if (metadata.TryGetValue("config", out string? json)) return FromJson(json);
        if (!Keywords.Any(metadata.ContainsKey)) return null;
        return FromKeywords(k =>
        {
            if (metadata.TryGetValue(k, out string? v))
            {
                try { return JsonNode.Parse(v); }
                catch (JsonException e) { throw new EegDinoModelFormatException($"Metadata entry {k} is '{v}', which is not a JSON value.", e); }
            }
            return fallback?.ToJsonObject()[k]?.DeepClone();
        });
    }

    private static readonly string[] Keywords =
    [
        "n_layer", "nhead", "dim_feedforward", "channels_kernel_stride_padding_norm",
        "n_channel_embeddings", "n_global_tokens", "global_token_layer", "patch_size",
    ];

    private static EegDinoConfig FromKeywords(Func<string, JsonNode?> get)
    {
        var small = FromPreset(EegDinoSize.Small);
        int Int(string key, int defaultValue)
        {
            JsonNode? n = get(key);
            if (n is null) return defaultValue;
            try
            {
                return n.GetValue<int>();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new EegDinoModelFormatException($"Configuration key {key} is {n.ToJsonString()}; a whole number was expected.", e);
            }
        }

        IReadOnlyList<EegDinoConvSpec> convs = small.Convolutions;
        JsonNode? c = get("channels_kernel_stride_padding_norm");
        if (c is not null)
        {
            if (c is not JsonArray arr || arr.Count == 0)
                throw new EegDinoModelFormatException($"channels_kernel_stride_padding_norm is {c.ToJsonString()}; a non-empty list of (out_channels, kernel, stride, padding, (groups, channels)) was expected.");
            convs = arr.Select((e, i) => ParseConv(e, i)).ToArray();
        }

        return new EegDinoConfig(
            Int("n_layer", small.NumberOfLayers),
            Int("nhead", small.NumberOfHeads),
            Int("dim_feedforward", small.FeedForwardDim),
            convs,
            Int("n_channel_embeddings", 19),
            Int("n_global_tokens", 1),
            Int("global_token_layer", 1),
            Int("patch_size", 200));
    }

    private static EegDinoConvSpec ParseConv(JsonNode? e, int index)
    {
        string where = $"channels_kernel_stride_padding_norm[{index}]";
        try
        {
            if (e is JsonArray a && a.Count == 5 && a[4] is JsonArray norm && norm.Count == 2)
            {
                return new EegDinoConvSpec(a[0]!.GetValue<int>(), a[1]!.GetValue<int>(), a[2]!.GetValue<int>(),
                    a[3]!.GetValue<int>(), norm[0]!.GetValue<int>(), norm[1]!.GetValue<int>());
            }
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new EegDinoModelFormatException($"{where} is {e?.ToJsonString() ?? "null"}; whole numbers (out_channels, kernel, stride, padding, (groups, channels)) were expected.", ex);
        }
        throw new EegDinoModelFormatException($"{where} is {e?.ToJsonString() ?? "null"}; (out_channels, kernel, stride, padding, (groups, channels)) was expected.");
    }

    /// <summary>The configuration as JSON in braindecode's keyword names (what <see cref="FromJson"/> reads).</summary>
    /// <returns>Indented JSON text.</returns>
    public string ToJson() => ToJsonObject().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private JsonObject ToJsonObject() => new()
    {
        ["n_layer"] = NumberOfLayers,
        ["nhead"] = NumberOfHeads,
        ["dim_feedforward"] = FeedForwardDim,
        ["channels_kernel_stride_padding_norm"] = new JsonArray(Convolutions.Select(c => (JsonNode)new JsonArray(
            c.OutChannels, c.Kernel, c.Stride, c.Padding, new JsonArray(c.NormGroups, c.NormChannels))).ToArray()),
        ["n_channel_embeddings"] = NumberOfChannelEmbeddings,
        ["n_global_tokens"] = NumberOfGlobalTokens,
        ["global_token_layer"] = GlobalTokenLayer,
        ["patch_size"] = PatchSize,
    };

    /// <summary>The released convolution pattern: kernel 49 stride 25 padding 24, then two kernel-3 convolutions.</summary>
    internal static EegDinoConvSpec[] ReleasedConvolutions(int c0, int c1, int c2, int groups) =>
    [
        new(c0, 49, 25, 24, groups, c0),
        new(c1, 3, 1, 1, groups, c1),
        new(c2, 3, 1, 1, groups, c2),
    ];

    private (int ConvLength, int EmbeddingDim) Validate()
    {
        static EegDinoModelFormatException Bad(string message) => new(message);
        static void InRange(string key, long value, long min, long max)
        {
            if (value < min || value > max)
                throw Bad(string.Create(CultureInfo.InvariantCulture, $"{key} is {value}; it must be in [{min}, {max}] (the released sizes use at most {ReleasedMaximum(key)})."));
        }
        InRange("n_layer", NumberOfLayers, 1, Limits.Layers);
        InRange("patch_size", PatchSize, 2, Limits.PatchSize);
        InRange("n_channel_embeddings", NumberOfChannelEmbeddings, 1, Limits.ChannelEmbeddings);
        InRange("n_global_tokens", NumberOfGlobalTokens, 1, Limits.GlobalTokens);
        if (GlobalTokenLayer < 1 || GlobalTokenLayer > NumberOfLayers)
            throw Bad($"global_token_layer is {GlobalTokenLayer}; it must be in [1, n_layer = {NumberOfLayers}].");
        InRange("dim_feedforward", FeedForwardDim, 1, Limits.Width);
        if (Convolutions.Count == 0) throw Bad("channels_kernel_stride_padding_norm is empty; at least one convolution is needed.");
        InRange("len(channels_kernel_stride_padding_norm)", Convolutions.Count, 1, Limits.Convolutions);

        int length = PatchSize;
        for (int i = 0; i < Convolutions.Count; i++)
        {
            var c = Convolutions[i];
            string where = $"channels_kernel_stride_padding_norm[{i}]";
            if (c.OutChannels < 1 || c.Kernel < 1 || c.Stride < 1 || c.Padding < 0)
                throw Bad($"{where} is ({c.OutChannels}, {c.Kernel}, {c.Stride}, {c.Padding}); positive channels, kernel and stride and a non-negative padding are needed.");
            InRange($"{where} out_channels", c.OutChannels, 1, Limits.ConvChannels);
            InRange($"{where} kernel", c.Kernel, 1, PatchSize + 2L * c.Padding);
            InRange($"{where} stride", c.Stride, 1, PatchSize);
            InRange($"{where} padding", c.Padding, 0, PatchSize);
            if (c.NormChannels != c.OutChannels)
                throw Bad($"{where}: GroupNorm channels are {c.NormChannels}; they must equal the convolution's out_channels {c.OutChannels}.");
            if (c.NormGroups < 1 || c.OutChannels % c.NormGroups != 0)
                throw Bad($"{where}: GroupNorm groups are {c.NormGroups}; they must divide the {c.OutChannels} channels.");
            length = (length + 2 * c.Padding - c.Kernel) / c.Stride + 1;
            if (length < 1) throw Bad($"{where}: the convolution leaves {length} samples of a {PatchSize}-sample patch; the kernel is too wide.");
        }
        long width = (long)Convolutions[^1].OutChannels * length;
        if (width > Limits.Width)
            throw Bad(string.Create(CultureInfo.InvariantCulture, $"The embedding width is {width} (= {Convolutions[^1].OutChannels} channels x {length} samples); it must be at most {Limits.Width} (Large: 1024)."));
        int dim = (int)width;
        if (NumberOfHeads < 1 || dim % NumberOfHeads != 0)
            throw Bad($"nhead is {NumberOfHeads}; it must divide the embedding width {dim} (= {Convolutions[^1].OutChannels} channels x {length} samples).");
        return (length, dim);
    }

    /// <summary>
    /// Upper bounds of a configuration: far above the released sizes (Large: 24 layers, width 1024,
    /// feed-forward 2048, 256 convolution channels), low enough that no configuration read from a file
    /// can describe a network that exhausts memory through its shape alone. The weights must still
    /// match the configuration exactly before a network is built (docs/checkpoints.md).
    /// </summary>
    internal static class Limits
    {
        public const int Layers = 256;
        public const int Width = 16_384;
        public const int PatchSize = 16_384;
        public const int ChannelEmbeddings = 1_024;
        public const int GlobalTokens = 256;
        public const int Convolutions = 16;
        public const int ConvChannels = 4_096;
    }

    private static string ReleasedMaximum(string key) => key switch
    {
        "n_layer" => "24",
        "patch_size" => "200",
        "n_channel_embeddings" => "19",
        "n_global_tokens" => "1",
        "dim_feedforward" => "2048",
        "len(channels_kernel_stride_padding_norm)" => "3",
        _ when key.EndsWith("out_channels", StringComparison.Ordinal) => "256",
        _ when key.EndsWith("kernel", StringComparison.Ordinal) => "49",
        _ when key.EndsWith("stride", StringComparison.Ordinal) => "25",
        _ => "24",
    };

    /// <inheritdoc />
    public bool Equals(EegDinoConfig? other) => other is not null && ToJson() == other.ToJson();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EegDinoConfig);

    /// <inheritdoc />
    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    /// <summary>A one-line description, e.g. <c>Small (emb 200, 12 layers, 8 heads, ffn 512)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{MatchingPreset?.ToString() ?? "custom"} (emb {EmbeddingDim}, {NumberOfLayers} layers, {NumberOfHeads} heads, ffn {FeedForwardDim}, convs ({string.Join(", ", Convolutions.Select(c => c.OutChannels))}), {NumberOfGlobalTokens} global token(s) after layer {GlobalTokenLayer})");
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EegDino.ML.Eeg;

namespace EegDino.ML;

/// <summary>
/// The input a fitted model expects, so that a saved model says what to feed it: the channels and
/// their order, the sampling rate, the window length (for models fitted on fixed-size rows) and the
/// input scale. Saved in the ML.NET model zip and in the safetensors metadata this library writes
/// (key <c>input_contract</c>); exposed as <c>InputContract</c> by <see cref="EegDinoEncoder"/>,
/// <see cref="EegDinoEmbeddingTransformer"/> and <see cref="EegDinoClassificationTransformer"/>.
/// <see cref="ToLoaderOptions"/> turns it into the EEG loader settings that produce such rows.
/// </summary>
public sealed class EegDinoInputContract : IEquatable<EegDinoInputContract>
{
    internal EegDinoInputContract(int numberOfChannels, IReadOnlyList<string>? channelNames, double samplesPerSecond,
        int? samplesPerChannel, float inputScale, int patchSize, EegFilterOptions? filters = null)
    {
        Filters = filters ?? EegFilterOptions.None;
        NumberOfChannels = numberOfChannels;
        ChannelNames = channelNames?.ToArray();
        SamplesPerSecond = samplesPerSecond;
        SamplesPerChannel = samplesPerChannel;
        InputScale = inputScale;
        PatchSize = patchSize;
    }

    /// <summary>Channels per row; channel i uses the model's channel slot i.</summary>
    public int NumberOfChannels { get; }

    /// <summary>The channel names in order, or null when the model was fitted on unnamed channels.</summary>
    public IReadOnlyList<string>? ChannelNames { get; }

    /// <summary>Sampling rate of the input in Hz.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>Samples per channel of each row (the window length), or null when any length is accepted.</summary>
    public int? SamplesPerChannel { get; }

    /// <summary>The window length in seconds, or null when any length is accepted.</summary>
    public double? WindowSeconds => SamplesPerChannel / SamplesPerSecond;

    /// <summary>Factor applied to the input before the network (0.01: the input is in microvolts).</summary>
    public float InputScale { get; }

    /// <summary>Samples per patch of the network (200 for the released model).</summary>
    public int PatchSize { get; }

    /// <summary>The filtering and re-referencing the rows had (<see cref="EegFilterOptions.None"/> when none was recorded).</summary>
    public EegFilterOptions Filters { get; }

    /// <summary>
    /// EEG loader settings that produce rows of this contract from EDF/BDF recordings: the channel
    /// order (when named), the filters, the output rate and, for fixed-size models, the window length
    /// (stride equal to the window). Adjust the rest (stride, flags) on the result.
    /// </summary>
    /// <returns>New loader options.</returns>
    public EegLoaderOptions ToLoaderOptions()
    {
        var options = new EegLoaderOptions { Filters = Filters };
        if (ChannelNames is { } names) options.Montage.ChannelOrder = names.ToArray();
        options.Windows.TargetSamplesPerSecond = SamplesPerSecond;
        if (WindowSeconds is double seconds)
        {
            options.Windows.WindowSeconds = seconds;
            options.Windows.StrideSeconds = seconds;
        }
        return options;
    }

    /// <summary>
    /// Checks that rows of <paramref name="numberOfChannels"/> x <paramref name="samplesPerChannel"/>
    /// fit, with a message naming both sides.
    /// </summary>
    /// <param name="numberOfChannels">Channels of the rows.</param>
    /// <param name="samplesPerChannel">Samples per channel of the rows.</param>
    /// <param name="what">What is checked, for the message (e.g. a column or file name).</param>
    /// <exception cref="ArgumentException">The rows do not fit.</exception>
    public void Check(int numberOfChannels, int samplesPerChannel, string what)
    {
        if (numberOfChannels != NumberOfChannels)
            throw new ArgumentException($"{what} has {numberOfChannels} channels; the model expects {Describe()}.");
        if (SamplesPerChannel is int expected && samplesPerChannel != expected)
            throw new ArgumentException($"{what} has {samplesPerChannel} samples per channel; the model expects {Describe()}.");
    }

    /// <summary>One line, e.g. <c>19 channels (Fp1, Fp2, ...) at 200 Hz, windows of 2000 samples (10 s), input x 0.01</c>.</summary>
    /// <returns>The description.</returns>
    public string Describe()
    {
        string channels = ChannelNames is { } n ? $"{NumberOfChannels} channels ({string.Join(", ", n)})" : $"{NumberOfChannels} unnamed channels";
        string window = SamplesPerChannel is int s
            ? string.Create(CultureInfo.InvariantCulture, $"windows of {s} samples ({s / SamplesPerSecond:0.###} s)")
            : "any length";
        string filters = Filters.IsEmpty ? "" : $", filtered {Filters}";
        return string.Create(CultureInfo.InvariantCulture, $"{channels} at {SamplesPerSecond:0.###} Hz, {window}, input x {InputScale:R}{filters}");
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    /// <inheritdoc />
    public bool Equals(EegDinoInputContract? other) => other is not null && ToJson() == other.ToJson();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EegDinoInputContract);

    /// <inheritdoc />
    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    /// <summary>The metadata key under which the contract is stored in safetensors files this library writes.</summary>
    internal const string MetadataKey = "input_contract";

    /// <summary>A contract for <paramref name="options"/> and a model of <paramref name="config"/>.</summary>
    internal static EegDinoInputContract From(EegDinoModelOptions options, EegDinoConfig config, int numberOfChannels, int? samplesPerChannel) =>
        new(numberOfChannels, options.ChannelNames, options.SamplesPerSecond, samplesPerChannel, options.InputScale, config.PatchSize, options.Filters);

    /// <summary>The same contract for rows of another shape (the channel names are kept only when their count still fits).</summary>
    internal EegDinoInputContract WithRows(int numberOfChannels, int? samplesPerChannel) =>
        new(numberOfChannels, ChannelNames?.Count == numberOfChannels ? ChannelNames : null, SamplesPerSecond, samplesPerChannel, InputScale, PatchSize, Filters);

    internal string ToJson()
    {
        var node = new JsonObject
        {
            ["number_of_channels"] = NumberOfChannels,
            ["channel_names"] = ChannelNames is { } names ? new JsonArray(names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()) : null,
            ["samples_per_second"] = SamplesPerSecond,
            ["samples_per_channel"] = SamplesPerChannel,
            ["input_scale"] = InputScale,
            ["patch_size"] = PatchSize,
        };
        if (!Filters.IsEmpty) node["filters"] = Filters.ToString(); // absent when unfiltered, as contracts written before filters existed
        return node.ToJsonString();
    }

    /// <summary>Reads <see cref="ToJson"/>'s text; <paramref name="where"/> names the source in errors.</summary>
    internal static EegDinoInputContract FromJson(string json, string where)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o) throw new EegDinoModelFormatException($"The input contract in {where} is not a JSON object.");
            int channels = o["number_of_channels"]?.GetValue<int>() ?? throw Missing("number_of_channels");
            string[]? names = o["channel_names"] is JsonArray a ? a.Select(n => n?.GetValue<string>() ?? throw Missing("channel_names[]")).ToArray() : null;
            double rate = o["samples_per_second"]?.GetValue<double>() ?? throw Missing("samples_per_second");
            int? samples = o["samples_per_channel"]?.GetValue<int>();
            float scale = o["input_scale"]?.GetValue<float>() ?? throw Missing("input_scale");
            int patch = o["patch_size"]?.GetValue<int>() ?? throw Missing("patch_size");
            EegFilterOptions filters = o["filters"]?.GetValue<string>() is { } text ? EegFilterOptions.Parse(text) : EegFilterOptions.None;
            if (channels < 1 || (names is not null && names.Length != channels) || !double.IsFinite(rate) || rate <= 0
                || samples is < 1 || !float.IsFinite(scale) || scale <= 0 || patch < 1)
                throw new EegDinoModelFormatException($"The input contract in {where} is out of range: {json}");
            return new EegDinoInputContract(channels, names, rate, samples, scale, patch, filters);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new EegDinoModelFormatException($"The input contract in {where} cannot be read ({e.Message}): {json}", e);
        }

        EegDinoModelFormatException Missing(string key) => new($"The input contract in {where} lacks '{key}': {json}");
    }
}

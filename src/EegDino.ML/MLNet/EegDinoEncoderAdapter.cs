using System.Globalization;

namespace EegDino.ML.MLNet;

/// <summary>The production <see cref="IEmbeddingEncoder"/>: an <see cref="EegDinoEncoder"/>.</summary>
internal sealed class EegDinoEncoderAdapter : IEmbeddingEncoder
{
    private const string InputScaleKey = "Encoder.InputScale";
    private const string DeviceKey = "Encoder.Device";

    private readonly EegDinoEncoder _encoder;

    private EegDinoEncoderAdapter(EegDinoEncoder encoder) => _encoder = encoder;

    /// <summary>Loads the model named by the options (at <c>Fit</c>).</summary>
    public static IEmbeddingEncoder FromPath(string modelPath, EegDinoEmbeddingOptions options) =>
        new EegDinoEncoderAdapter(EegDinoEncoder.Load(modelPath, new EegDinoEncoderOptions
        {
            InputScale = options.InputScale,
            Device = options.Device,
            WeightSource = options.WeightSource,
            Config = options.Config,
        }));

    /// <summary>Rebuilds the encoder from the weights and settings saved in a model zip.</summary>
    public static IEmbeddingEncoder FromWeights(byte[] weights, IReadOnlyDictionary<string, string> settings)
    {
        var options = new EegDinoEncoderOptions();
        if (settings.TryGetValue(InputScaleKey, out string? scale))
        {
            options.InputScale = float.TryParse(scale, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
                ? value : throw new EegDinoModelFormatException($"The saved model's property '{InputScaleKey}' is '{scale}'; a number was expected.");
        }
        if (settings.TryGetValue(DeviceKey, out string? device)) options.Device = device;
        using var stream = new MemoryStream(weights, writable: false);
        return new EegDinoEncoderAdapter(EegDinoEncoder.Load(stream, options));
    }

    public EegDinoEncoder Encoder => _encoder;

    public int EmbeddingDim => _encoder.Config.EmbeddingDim;

    public int NumberOfGlobalTokens => _encoder.Config.NumberOfGlobalTokens;

    public int PatchSize => _encoder.Config.PatchSize;

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            EegDinoEncoderOptions options = _encoder.Options;
            return new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [EmbeddingEncoders.KindKey] = EmbeddingEncoders.EegDinoKind,
                [InputScaleKey] = PersistedModelState.Format(options.InputScale),
                [DeviceKey] = options.Device,
            };
        }
    }

    public void Encode(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EegDinoEmbeddingKind kind, Span<float> destination)
    {
        EegDinoEncoding encoding = _encoder.EncodeBatch(signals, batchSize, numberOfChannels);
        float[] source = kind switch
        {
            EegDinoEmbeddingKind.PooledMean => encoding.PooledMean,
            EegDinoEmbeddingKind.GlobalToken => encoding.GlobalToken,
            _ => encoding.Tokens,
        };
        source.AsSpan().CopyTo(destination);
    }

    public void SaveWeights(Stream destination) => _encoder.SaveWeights(destination);

    public void Dispose() => _encoder.Dispose();
}

namespace EegDino.ML.MLNet;

/// <summary>
/// Builds the encoder behind the transform, from a model path (at <c>Fit</c>) or from saved
/// weights (at model load). The saved state names the encoder kind, so that the loader rebuilds
/// the same one; the library has one kind, <see cref="EegDinoKind"/>; tests register cheap ones.
/// </summary>
internal static class EmbeddingEncoders
{
    /// <summary>The kind of the real EEG-DINO encoder.</summary>
    public const string EegDinoKind = "EegDino";

    /// <summary>The property naming the encoder kind in saved state.</summary>
    public const string KindKey = "Encoder.Kind";

    private static readonly Dictionary<string, Func<byte[], IReadOnlyDictionary<string, string>, IEmbeddingEncoder>> s_fromWeights =
        new(StringComparer.Ordinal);

    /// <summary>Registers another encoder kind (tests).</summary>
    public static void Register(string kind, Func<byte[], IReadOnlyDictionary<string, string>, IEmbeddingEncoder> fromWeights)
    {
        lock (s_fromWeights) s_fromWeights[kind] = fromWeights;
    }

    public static IEmbeddingEncoder FromWeights(string kind, byte[] weights, IReadOnlyDictionary<string, string> settings)
    {
        if (kind == EegDinoKind) return EegDinoEncoderAdapter.FromWeights(weights, settings);
        Func<byte[], IReadOnlyDictionary<string, string>, IEmbeddingEncoder>? factory;
        lock (s_fromWeights) s_fromWeights.TryGetValue(kind, out factory);
        return factory?.Invoke(weights, settings)
            ?? throw new EegDinoModelFormatException($"The saved model uses the encoder kind '{kind}', which this library does not know (expected '{EegDinoKind}').");
    }
}

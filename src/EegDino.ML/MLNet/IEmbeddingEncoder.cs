namespace EegDino.ML.MLNet;

/// <summary>
/// What the ML.NET transform needs from an encoder: one forward pass over a batch of signals,
/// written as the requested embedding kind, and the weights for persistence. The production
/// implementation wraps <c>EegDinoEncoder</c>; tests also use a cheap deterministic one to
/// check the data plumbing (batching, schemas, persistence) without a network.
/// </summary>
internal interface IEmbeddingEncoder : IDisposable
{
    /// <summary>D, the width of every token.</summary>
    int EmbeddingDim { get; }

    /// <summary>The number of global tokens that precede the patch tokens.</summary>
    int NumberOfGlobalTokens { get; }

    /// <summary>Samples per patch (200 for the released model).</summary>
    int PatchSize { get; }

    /// <summary>Settings that must survive save/load besides the weights (input scale, device, ...), as invariant text.</summary>
    IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>
    /// Encodes <paramref name="batchSize"/> signals laid out <c>[B, C, T]</c> and writes the
    /// <paramref name="kind"/> output of each, <c>[B, OutputLength]</c>, to <paramref name="destination"/>.
    /// </summary>
    void Encode(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EegDinoEmbeddingKind kind, Span<float> destination);

    /// <summary>Writes the weights (with the configuration) so that the matching loader rebuilds an identical encoder.</summary>
    void SaveWeights(Stream destination);
}

/// <summary>Output sizes of the embedding kinds.</summary>
internal static class EmbeddingKinds
{
    /// <summary>Patches per channel for <paramref name="samplesPerChannel"/> samples (the last one right-padded).</summary>
    public static int NumberOfPatches(int samplesPerChannel, int patchSize) => (samplesPerChannel + patchSize - 1) / patchSize;

    /// <summary>Tokens in the <see cref="EegDinoEmbeddingKind.Tokens"/> output.</summary>
    public static int TokenCount(IEmbeddingEncoder encoder, int numberOfChannels, int samplesPerChannel) =>
        encoder.NumberOfGlobalTokens + numberOfChannels * NumberOfPatches(samplesPerChannel, encoder.PatchSize);

    /// <summary>Values per row in the output column.</summary>
    public static int OutputLength(IEmbeddingEncoder encoder, EegDinoEmbeddingKind kind, int numberOfChannels, int samplesPerChannel) => kind switch
    {
        EegDinoEmbeddingKind.PooledMean or EegDinoEmbeddingKind.GlobalToken => encoder.EmbeddingDim,
        EegDinoEmbeddingKind.Tokens => TokenCount(encoder, numberOfChannels, samplesPerChannel) * encoder.EmbeddingDim,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown embedding kind."),
    };
}

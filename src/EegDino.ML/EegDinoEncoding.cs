namespace EegDino.ML;

/// <summary>
/// The encoder's output for a batch: the whole token sequence and its two usual summaries, as
/// row-major float32 arrays.
/// </summary>
public sealed class EegDinoEncoding
{
    internal EegDinoEncoding(int batchSize, int numberOfChannels, int numberOfPatches, int embeddingDim, int numberOfGlobalTokens,
        float[] tokens, float[] globalToken, float[] pooledMean, float[]? logits = null)
    {
        BatchSize = batchSize;
        NumberOfChannels = numberOfChannels;
        NumberOfPatches = numberOfPatches;
        EmbeddingDim = embeddingDim;
        NumberOfGlobalTokens = numberOfGlobalTokens;
        Tokens = tokens;
        GlobalToken = globalToken;
        PooledMean = pooledMean;
        Logits = logits;
    }

    /// <summary>Recordings in the batch (B).</summary>
    public int BatchSize { get; }

    /// <summary>Channels of each recording (C).</summary>
    public int NumberOfChannels { get; }

    /// <summary>Patches per channel (P): the input length in samples divided by 200, rounded up.</summary>
    public int NumberOfPatches { get; }

    /// <summary>Embedding width (D).</summary>
    public int EmbeddingDim { get; }

    /// <summary>Global tokens at the start of the sequence (G, 1 for the released model).</summary>
    public int NumberOfGlobalTokens { get; }

    /// <summary>Tokens per recording: G + C * P.</summary>
    public int TokenCount => NumberOfGlobalTokens + NumberOfChannels * NumberOfPatches;

    /// <summary>
    /// The encoder output <c>[B, G + C*P, D]</c>: the global token(s) first, then the patch tokens
    /// channel-major (channel 0's patches 0..P-1, then channel 1's, ...).
    /// </summary>
    public float[] Tokens { get; }

    /// <summary>The global token <c>[B, D]</c> (the mean of the global tokens when there are several).</summary>
    public float[] GlobalToken { get; }

    /// <summary>The mean of the patch tokens, global token excluded, <c>[B, D]</c>.</summary>
    public float[] PooledMean { get; }

    /// <summary>
    /// The classification head's logits <c>[B, classes]</c> from the same forward pass, when the model
    /// has a head (<see cref="EegDinoEncoder.HasHead"/>); otherwise null.
    /// </summary>
    public float[]? Logits { get; }

    /// <summary>Recording <paramref name="index"/>'s global token (length D).</summary>
    /// <param name="index">Batch index.</param>
    /// <returns>A view into <see cref="GlobalToken"/>.</returns>
    public ReadOnlySpan<float> GetGlobalToken(int index) => Row(GlobalToken, index, EmbeddingDim);

    /// <summary>Recording <paramref name="index"/>'s mean patch token (length D).</summary>
    /// <param name="index">Batch index.</param>
    /// <returns>A view into <see cref="PooledMean"/>.</returns>
    public ReadOnlySpan<float> GetPooledMean(int index) => Row(PooledMean, index, EmbeddingDim);

    /// <summary>Recording <paramref name="index"/>'s token sequence (length (G + C*P) * D).</summary>
    /// <param name="index">Batch index.</param>
    /// <returns>A view into <see cref="Tokens"/>.</returns>
    public ReadOnlySpan<float> GetTokens(int index) => Row(Tokens, index, TokenCount * EmbeddingDim);

    private ReadOnlySpan<float> Row(float[] data, int index, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BatchSize);
        return data.AsSpan(index * width, width);
    }
}

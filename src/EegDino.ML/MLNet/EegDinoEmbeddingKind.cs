namespace EegDino.ML;

/// <summary>What the EEG-DINO embedding transform writes into its output column.</summary>
public enum EegDinoEmbeddingKind
{
    /// <summary>
    /// Mean of the patch tokens (the global token excluded), length <c>EmbeddingDim</c>. The
    /// default: the summary the released fine-tuning heads and braindecode's pooling use.
    /// </summary>
    PooledMean = 0,

    /// <summary>The global token (the mean of the global tokens when there are several), length <c>EmbeddingDim</c>.</summary>
    GlobalToken = 1,

    /// <summary>
    /// The whole token sequence, length <c>(NumberOfGlobalTokens + C * P) * EmbeddingDim</c>: the
    /// global token(s) first, then the patch tokens channel-major (channel 0 patches 0..P-1, channel 1, ...).
    /// The column type carries the dimensions <c>[TokenCount, EmbeddingDim]</c> so it can be reshaped.
    /// </summary>
    Tokens = 2,
}

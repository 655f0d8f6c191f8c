namespace EegDino.ML.Samples.Bench;

/// <summary>The arithmetic of one encoder forward pass, to turn a time into GFLOP/s.</summary>
internal static class ForwardFlops
{
    /// <summary>
    /// Multiply-adds x 2 of the forward pass per sample: patch embedding (convolutions, spectral and
    /// channel projections) and per layer the qkv, attention, output projection and MLP matmuls.
    /// </summary>
    public static double PerSample(EegDinoConfig config, int channels, int samples)
    {
        long patches = (samples + config.PatchSize - 1) / config.PatchSize;
        double tokens = channels * patches;
        double d = config.EmbeddingDim;
        double embedding = 0;
        int length = config.PatchSize, inChannels = 1;
        foreach (var c in config.Convolutions)
        {
            length = (length + 2 * c.Padding - c.Kernel) / c.Stride + 1;
            embedding += 2.0 * c.OutChannels * inChannels * c.Kernel * length;
            inChannels = c.OutChannels;
        }
        embedding = embedding * tokens + 2.0 * tokens * config.SpectralBins * d + 2.0 * tokens * d * 5;
        double layers = 0;
        for (int i = 0; i < config.NumberOfLayers; i++)
        {
            double n = i < config.GlobalTokenLayer ? tokens : tokens + config.NumberOfGlobalTokens;
            layers += 2 * n * d * 3 * d + 2 * 2 * n * n * d + 2 * n * d * d + 2 * 2 * n * d * config.FeedForwardDim;
        }
        return embedding + layers;
    }
}

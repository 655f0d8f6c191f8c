namespace EegDino.ML.MLNet;

// Placeholder until EegDinoEncoder lands on main; replaced by the adapter over it.
internal static class EegDinoEncoderAdapter
{
    public static IEmbeddingEncoder FromPath(string modelPath, EegDinoEmbeddingOptions options) =>
        throw new NotSupportedException($"EegDinoEncoder is not available yet (model '{modelPath}', device {options.Device}).");

    public static IEmbeddingEncoder FromWeights(byte[] weights, IReadOnlyDictionary<string, string> settings) =>
        throw new NotSupportedException($"EegDinoEncoder is not available yet ({weights.Length} bytes, {settings.Count} settings).");
}

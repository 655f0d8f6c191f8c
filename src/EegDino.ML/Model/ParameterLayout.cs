using EegDino.ML.Weights;

namespace EegDino.ML.Model;

/// <summary>
/// The state_dict keys and shapes of <see cref="EegDinoNetwork"/> for a configuration, computed
/// without building it. Why: building allocates every parameter, so a configuration that does not
/// fit its weights (a file whose metadata says 100,000 layers, a <c>dim_feedforward</c> of 2e9) must
/// be refused before anything is allocated. The network's modules are the truth; a test checks
/// that this layout equals the built network's state_dict for several configurations.
/// </summary>
internal static class ParameterLayout
{
    /// <summary>Every parameter of the network in state_dict order, with its shape.</summary>
    public static IReadOnlyList<(string Key, long[] Shape)> Of(EegDinoConfig config, int? numberOfClasses)
    {
        long d = config.EmbeddingDim;
        var result = new List<(string, long[])> { ("global_tokens", [1, config.NumberOfGlobalTokens, d]) };
        long inChannels = 1;
        for (int i = 0; i < config.Convolutions.Count; i++)
        {
            var c = config.Convolutions[i];
            string conv = $"patch_embedding.proj_in.{3 * i}", norm = $"patch_embedding.proj_in.{3 * i + 1}";
            result.Add(($"{conv}.weight", [c.OutChannels, inChannels, 1, c.Kernel]));
            result.Add(($"{conv}.bias", [c.OutChannels]));
            result.Add(($"{norm}.weight", [c.NormChannels]));
            result.Add(($"{norm}.bias", [c.NormChannels]));
            inChannels = c.OutChannels;
        }
        result.Add(("patch_embedding.spectral_proj.0.weight", [d, config.SpectralBins]));
        result.Add(("patch_embedding.spectral_proj.0.bias", [d]));
        result.Add(("patch_embedding.channel_embedding.weight", [d, config.NumberOfChannelEmbeddings]));
        result.Add(("patch_embedding.channel_embedding.bias", [d]));
        result.Add(("patch_embedding.time_encoding.0.weight", [d, 1, 1, 5]));
        result.Add(("patch_embedding.time_encoding.0.bias", [d]));
        for (int i = 0; i < config.NumberOfLayers; i++)
        {
            string p = $"encoder_layers.{i}";
            result.Add(($"{p}.norm1.weight", [d]));
            result.Add(($"{p}.norm1.bias", [d]));
            result.Add(($"{p}.attn.q_bias", [d]));
            result.Add(($"{p}.attn.v_bias", [d]));
            result.Add(($"{p}.attn.qkv.weight", [3 * d, d]));
            result.Add(($"{p}.attn.proj.weight", [d, d]));
            result.Add(($"{p}.attn.proj.bias", [d]));
            result.Add(($"{p}.norm2.weight", [d]));
            result.Add(($"{p}.norm2.bias", [d]));
            result.Add(($"{p}.mlp.fc1.weight", [config.FeedForwardDim, d]));
            result.Add(($"{p}.mlp.fc1.bias", [config.FeedForwardDim]));
            result.Add(($"{p}.mlp.fc2.weight", [d, config.FeedForwardDim]));
            result.Add(($"{p}.mlp.fc2.bias", [d]));
        }
        if (numberOfClasses is int classes)
        {
            const string h = "final_layer";
            result.Add(($"{h}.token_proj.0.weight", [d, d]));
            result.Add(($"{h}.token_proj.0.bias", [d]));
            result.Add(($"{h}.time_proj.0.weight", [d, d]));
            result.Add(($"{h}.time_proj.0.bias", [d]));
            result.Add(($"{h}.classifier.0.weight", [d / 2, d]));
            result.Add(($"{h}.classifier.0.bias", [d / 2]));
            result.Add(($"{h}.classifier.3.weight", [d / 4, d / 2]));
            result.Add(($"{h}.classifier.3.bias", [d / 4]));
            result.Add(($"{h}.classifier.6.weight", [classes, d / 4]));
            result.Add(($"{h}.classifier.6.bias", [classes]));
        }
        return result;
    }

    /// <summary>Number of float parameters of the network.</summary>
    public static long Count(EegDinoConfig config, int? numberOfClasses) =>
        Of(config, numberOfClasses).Sum(p => p.Shape.Aggregate(1L, (a, b) => checked(a * b)));

    /// <summary>
    /// Checks <paramref name="tensors"/> against the layout before a network is built: every key
    /// present with its exact shape, nothing else (a head in the weights is ignored when
    /// <paramref name="ignoreHead"/>). All problems at once, as <see cref="NetworkWeights.CopyTo"/> reports them.
    /// </summary>
    /// <exception cref="EegDinoWeightsMismatchException">A key is missing, unexpected or mis-shaped.</exception>
    public static void Check(IReadOnlyDictionary<string, WeightTensor> tensors, EegDinoConfig config, int? numberOfClasses, bool ignoreHead)
    {
        var layout = Of(config, numberOfClasses);
        var expected = layout.ToDictionary(p => p.Key, p => p.Shape, StringComparer.Ordinal);
        var missing = new List<string>();
        var misShaped = new List<(string, long[], long[])>();
        foreach (var (key, shape) in layout)
        {
            if (!tensors.TryGetValue(key, out var source)) missing.Add(key);
            else if (!source.Shape.SequenceEqual(shape)) misShaped.Add((key, shape, source.Shape));
        }
        var unexpected = tensors.Keys
            .Where(k => !expected.ContainsKey(k) && !(ignoreHead && k.StartsWith("final_layer.", StringComparison.Ordinal)))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || misShaped.Count > 0)
            throw new EegDinoWeightsMismatchException(Abbreviate(missing), Abbreviate(unexpected), misShaped.Take(MaxListed).ToList());
    }

    /// <summary>The most keys of each kind listed in a mismatch message (a config of 100,000 layers would list millions).</summary>
    private const int MaxListed = 50;

    private static List<string> Abbreviate(List<string> keys) =>
        keys.Count <= MaxListed ? keys : [.. keys.Take(MaxListed), $"... and {keys.Count - MaxListed} more"];
}

using EegDino.ML.Model;
using EegDino.ML.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// Custom architectures beyond the fixtures: several global tokens inserted after a later layer, and
/// a configuration that reaches the encoder only through the safetensors metadata.
/// </summary>
[TestClass]
public sealed class CustomConfigurationTests
{
    private static readonly EegDinoConfig TwoGlobalTokensAfterLayerTwo = EegDinoConfig.FromJson("""
        {"n_layer": 3, "nhead": 2, "dim_feedforward": 32, "n_global_tokens": 2, "global_token_layer": 2,
         "channels_kernel_stride_padding_norm": [[4, 49, 25, 24, [2, 4]], [4, 3, 1, 1, [2, 4]], [4, 3, 1, 1, [2, 4]]]}
        """);

    private static string RandomModel(EegDinoConfig config)
    {
        manual_seed(11);
        using var network = new EegDinoNetwork(config, numberOfClasses: 3);
        using (no_grad())
        {
            foreach (var (_, p) in network.named_parameters()) p.normal_(0, 0.2);
        }
        string path = TempFolder.NewFile("custom", ".safetensors");
        SafetensorsWriter.Write(path, NetworkWeights.Extract(network), new Dictionary<string, string> { ["config"] = config.ToJson() });
        return path;
    }

    [TestMethod]
    public void SeveralGlobalTokensAfterALaterLayer()
    {
        string path = RandomModel(TwoGlobalTokensAfterLayerTwo);
        using var encoder = EegDinoEncoder.Load(path); // configuration from the metadata
        Assert.AreEqual(TwoGlobalTokensAfterLayerTwo, encoder.Config);
        Assert.AreEqual(32, encoder.EmbeddingDim);

        const int channels = 3;
        var e = encoder.Encode(Fixtures.Synthetic(channels, 450), channels);
        Assert.AreEqual(2, e.NumberOfGlobalTokens);
        Assert.AreEqual(2 + channels * 3, e.TokenCount);
        int d = e.EmbeddingDim;
        for (int k = 0; k < d; k++)
        {
            Assert.AreEqual((e.Tokens[k] + e.Tokens[d + k]) / 2, e.GlobalToken[k], 1e-5, "the global token is the mean of the global tokens");
            double mean = Enumerable.Range(2, e.TokenCount - 2).Average(t => (double)e.Tokens[t * d + k]);
            Assert.AreEqual(mean, e.PooledMean[k], 1e-5, "the pooled mean excludes both global tokens");
        }

        using var classifier = EegDinoClassifier.Load(path);
        float[] p = classifier.PredictProbabilities(Fixtures.Synthetic(channels, 450), 1, channels);
        Assert.AreEqual(3, p.Length);
        Assert.AreEqual(1.0, p.Sum(), 1e-5);
        File.Delete(path);
    }

    [TestMethod]
    public void BatchEqualsOneByOneWithGlobalTokensInsertedLate()
    {
        string path = RandomModel(TwoGlobalTokensAfterLayerTwo);
        using var encoder = EegDinoEncoder.Load(path);
        const int channels = 2, samples = 390;
        var rows = Enumerable.Range(0, 3).Select(i => Fixtures.Synthetic(channels, samples, seed: 20 + i)).ToArray();
        var batch = encoder.EncodeBatch(rows.SelectMany(r => r).ToArray(), rows.Length, channels);
        for (int i = 0; i < rows.Length; i++)
        {
            double error = Fixtures.Nrmse(batch.GetTokens(i), encoder.Encode(rows[i], channels).Tokens.Select(v => (double)v).ToArray());
            Assert.IsTrue(error <= 1e-6, $"row {i}: NRMSE {error:E2}");
        }
        File.Delete(path);
    }
}

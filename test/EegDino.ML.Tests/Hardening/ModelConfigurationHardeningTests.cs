using System.Diagnostics;
using EegDino.ML.Model;
using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Hardening;

/// <summary>
/// No model file or configuration can make the process allocate beyond its weights or abort: the
/// configuration is bounded, and checked against the weights' shapes before a network is built.
/// </summary>
[TestClass]
public sealed class ModelConfigurationHardeningTests
{
    private static string TinyWithMetadata(Dictionary<string, string> metadata)
    {
        var (tensors, _) = SafetensorsReader.Read(Fixtures.Weights("tiny"));
        string path = Path.Combine(Path.GetTempPath(), $"eegdino-hostile-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Write(path, tensors, metadata);
        return path;
    }

    private static T RefusedQuickly<T>(Func<object> load) where T : Exception
    {
        long before = GC.GetTotalMemory(false);
        var watch = Stopwatch.StartNew();
        var e = Assert.ThrowsExactly<T>(() => load());
        // A hang or runaway allocation detector, not a timing assertion: the refusal happens before any network exists.
        Assert.IsLessThan(60, watch.Elapsed.TotalSeconds, "the load should be refused, not attempted");
        Assert.IsLessThan(512L << 20, GC.GetTotalMemory(false) - before, "managed memory grew by more than 512 MiB");
        return e;
    }

    [TestMethod]
    [DataRow("100000")]
    [DataRow("2147483647")]
    public void AHugeLayerCountInTheMetadataIsRefusedBeforeAllocation(string layers)
    {
        string path = TinyWithMetadata(new() { ["config"] = Fixtures.Config("tiny").ToJson().Replace("\"n_layer\": 2", $"\"n_layer\": {layers}", StringComparison.Ordinal) });
        try
        {
            var e = RefusedQuickly<EegDinoModelFormatException>(() => EegDinoEncoder.Load(path));
            StringAssert.Contains(e.Message, $"n_layer is {layers}; it must be in [1, 256]");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AConfigurationTheWeightsDoNotFitIsRefusedBeforeTheNetworkIsBuilt()
    {
        // Within the bounds but far larger than the weights: the layout check names the mismatch.
        var tiny = Fixtures.Config("tiny");
        var huge = new EegDinoConfig(200, tiny.NumberOfHeads, 16_000, tiny.Convolutions, tiny.NumberOfChannelEmbeddings,
            tiny.NumberOfGlobalTokens, tiny.GlobalTokenLayer, tiny.PatchSize);
        var e = RefusedQuickly<EegDinoWeightsMismatchException>(() => EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = huge }));
        StringAssert.Contains(e.Message, "mis-shaped");
        StringAssert.Contains(e.Message, "encoder_layers.0.mlp.fc1.weight expected [16000, 40]");
        StringAssert.Contains(e.Message, "more"); // 198 missing layers are summarised, not listed
    }

    [TestMethod]
    [DataRow("dim_feedforward", "2000000000", "dim_feedforward is 2000000000; it must be in [1, 16384]")]
    [DataRow("nhead", "0", "nhead is 0")]
    [DataRow("n_channel_embeddings", "100000", "n_channel_embeddings is 100000; it must be in [1, 1024]")]
    [DataRow("patch_size", "1000000000", "patch_size is 1000000000; it must be in [2, 16384]")]
    [DataRow("n_global_tokens", "100000", "n_global_tokens is 100000")]
    public void OutOfBoundsValuesAreNamed(string key, string value, string expected)
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoConfig.FromJson($"{{\"{key}\": {value}}}"));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void AConvolutionThatWouldOverflowTheWidthIsRefused()
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoConfig.FromJson(
            "{\"channels_kernel_stride_padding_norm\": [[4096, 1, 1, 0, [1, 4096]]], \"patch_size\": 16384}"));
        StringAssert.Contains(e.Message, "embedding width is 67108864");
    }

    [TestMethod]
    public void TheLayoutEqualsTheBuiltNetworksStateDict()
    {
        var configs = new[]
        {
            Fixtures.Config("tiny"), EegDinoConfig.FromPreset(EegDinoSize.Small),
            new EegDinoConfig(3, 2, 48, [new(8, 9, 4, 4, 2, 8), new(4, 3, 1, 1, 2, 4)], numberOfChannelEmbeddings: 7, numberOfGlobalTokens: 2, globalTokenLayer: 2, patchSize: 64),
        };
        foreach (var config in configs)
        {
            foreach (int? classes in new int?[] { null, 5 })
            {
                using var network = new EegDinoNetwork(config, classes);
                var built = network.state_dict().Select(p => (p.Key, Shape: string.Join(",", p.Value.shape))).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                var layout = ParameterLayout.Of(config, classes).Select(p => (p.Key, Shape: string.Join(",", p.Shape))).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                CollectionAssert.AreEqual(built, layout, $"{config} with {classes?.ToString() ?? "no"} head");
            }
        }
    }

    [TestMethod]
    public void ANanWeightIsRefusedAtLoadNamingTheTensor()
    {
        var (tensors, _) = SafetensorsReader.Read(Fixtures.Weights("tiny"));
        tensors["encoder_layers.1.mlp.fc2.weight"].Data[17] = float.NaN;
        string path = Path.Combine(Path.GetTempPath(), $"eegdino-nan-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["config"] = Fixtures.Config("tiny").ToJson() });
        try
        {
            var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoEncoder.Load(path));
            StringAssert.Contains(e.Message, "encoder_layers.1.mlp.fc2.weight");
            StringAssert.Contains(e.Message, "holds NaN at flat index 17");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void WeightsThatOverflowInsideTheNetworkGiveAnErrorNotNaN()
    {
        // Finite but absurd weights: the activations overflow float32 inside the network.
        var (tensors, _) = SafetensorsReader.Read(Fixtures.Weights("tiny"));
        foreach (string key in new[] { "patch_embedding.spectral_proj.0.weight", "encoder_layers.0.mlp.fc1.weight", "encoder_layers.0.mlp.fc2.weight" })
        {
            float[] data = tensors[key].Data;
            for (int i = 0; i < data.Length; i++) data[i] = 3e37f;
        }
        string path = Path.Combine(Path.GetTempPath(), $"eegdino-overflow-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["config"] = Fixtures.Config("tiny").ToJson() });
        try
        {
            using var encoder = EegDinoEncoder.Load(path);
            var e = Assert.ThrowsExactly<EegDinoException>(() => encoder.Encode(Fixtures.Synthetic(4, 400), 4));
            StringAssert.Contains(e.Message, "The network produced");
            StringAssert.Contains(e.Message, "overflowed");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Weights;

/// <summary>Strict loading, configuration detection, folders and the head.</summary>
[TestClass]
public sealed class WeightLoadingTests
{
    public TestContext TestContext { get; set; } = null!;

    private static string TempFolder() => Tests.TempFolder.Create("weights").Path;

    private static Dictionary<string, WeightTensor> TinyTensors() => SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors;

    [TestMethod]
    public void MissingUnexpectedAndMisShapedKeysAreReportedTogether()
    {
        var tensors = TinyTensors();
        tensors.Remove("encoder_layers.1.attn.q_bias");
        tensors["encoder_layers.0.attn.extra"] = new WeightTensor([1], [0]);
        tensors["encoder_layers.0.mlp.fc1.bias"] = new WeightTensor([63], new float[63]);
        string path = Path.Combine(TempFolder(), "broken.safetensors");
        SafetensorsWriter.Write(path, tensors);

        var e = Assert.ThrowsExactly<EegDinoWeightsMismatchException>(() =>
            EegDinoEncoder.Load(path, new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") }));
        CollectionAssert.AreEqual(new[] { "encoder_layers.1.attn.q_bias" }, e.Missing.ToArray());
        CollectionAssert.AreEqual(new[] { "encoder_layers.0.attn.extra" }, e.Unexpected.ToArray());
        Assert.AreEqual("encoder_layers.0.mlp.fc1.bias", e.MisShaped.Single().Key);
        StringAssert.Contains(e.Message, "expected [64] found [63]");
    }

    [TestMethod]
    public void WrongArchitectureIsAShapeMismatch()
    {
        // The tiny weights with the Small configuration: shapes differ everywhere, reported by name.
        var e = Assert.ThrowsExactly<EegDinoWeightsMismatchException>(() =>
            EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = EegDinoConfig.FromPreset(EegDinoSize.Small) }));
        Assert.IsTrue(e.MisShaped.Any(m => m.Key == "global_tokens"));
    }

    [TestMethod]
    public void SmallIsDetectedFromItsWeights()
    {
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("small"));
        Assert.AreEqual(EegDinoSize.Small, encoder.Config.MatchingPreset);
        Assert.IsTrue(encoder.HasHead);
    }

    [TestMethod]
    public void MediumWidthsAreDetectedWithTheirLayerCount()
    {
        // medium_2layer carries nhead/n_layer metadata; detection alone must agree with it.
        var tensors = SafetensorsReader.Read(Fixtures.Weights("medium_2layer")).Tensors;
        var detected = NetworkWeights.Detect(tensors, "medium_2layer");
        Assert.AreEqual(512, detected.EmbeddingDim);
        Assert.AreEqual(2, detected.NumberOfLayers);
        Assert.AreEqual(1024, detected.FeedForwardDim);
        Assert.AreEqual(8, detected.NumberOfHeads);
    }

    [TestMethod]
    public void CustomWidthsWithoutConfigurationAskForOne()
    {
        string path = Path.Combine(TempFolder(), "tiny.safetensors");
        SafetensorsWriter.Write(path, TinyTensors()); // no metadata
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoEncoder.Load(path));
        StringAssert.Contains(e.Message, "match no released size");
    }

    [TestMethod]
    public void BraindecodeFolderLoadsWithItsConfig()
    {
        string folder = TempFolder();
        File.Copy(Fixtures.Weights("tiny"), Path.Combine(folder, "model.safetensors"));
        File.Copy(Fixtures.File("tiny.json"), Path.Combine(folder, "config.json"));
        using var encoder = EegDinoEncoder.Load(folder, new EegDinoEncoderOptions { InputScale = 1f });

        var io = Fixtures.Io("tiny");
        float[] input = Fixtures.Input("tiny", out long[] shape);
        var encoding = encoder.EncodeBatch(input, (int)shape[0], (int)shape[1]);
        double error = Fixtures.Nrmse(encoding.Tokens, io["encoder_output.f64"].Data);
        Assert.IsTrue(error <= Fixtures.Tolerance, $"NRMSE {error:E2}");
    }

    [TestMethod]
    public void FolderWithoutWeightsIsAClearError()
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoEncoder.Load(TempFolder()));
        StringAssert.Contains(e.Message, "model.safetensors");
    }

    [TestMethod]
    public void MissingPathIsAClearError() =>
        Assert.ThrowsExactly<FileNotFoundException>(() => EegDinoEncoder.Load(Path.Combine(TempFolder(), "nothing.safetensors")));

    [TestMethod]
    public void HeadIsOptionalForTheEncoderButRequiredForTheClassifier()
    {
        var tensors = TinyTensors().Where(p => !p.Key.StartsWith("final_layer.", StringComparison.Ordinal)).ToDictionary();
        string path = Path.Combine(TempFolder(), "encoder-only.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["config"] = Fixtures.Config("tiny").ToJson() });

        using var encoder = EegDinoEncoder.Load(path);
        Assert.IsFalse(encoder.HasHead);
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoClassifier.Load(path));
        StringAssert.Contains(e.Message, "no classification head");
    }

    [TestMethod]
    public void SavedWeightsLoadBackToTheSameOutputs()
    {
        using var encoder = TinyEncoder.Load();
        using var stream = new MemoryStream();
        encoder.SaveWeights(stream);
        stream.Position = 0;
        using var reloaded = EegDinoEncoder.Load(stream); // configuration from the metadata
        float[] signal = Fixtures.Synthetic(16, 1000);
        Assert.AreEqual(encoder.Config, reloaded.Config);
        Assert.IsTrue(reloaded.HasHead);
        CollectionAssert.AreEqual(encoder.Encode(signal, 16).Tokens, reloaded.Encode(signal, 16).Tokens);
    }

    [TestMethod]
    public void ClassifierGivesTheFixtureLogitsAndProbabilities()
    {
        using var classifier = TinyEncoder.LoadClassifier(inputScale: 1f);
        float[] input = Fixtures.Input("tiny", out long[] shape);
        float[] logits = classifier.PredictLogits(input, (int)shape[0], (int)shape[1]);
        Assert.AreEqual(3, classifier.NumberOfClasses);
        Assert.IsTrue(Fixtures.Nrmse(logits, Fixtures.Io("tiny")["logits.f64"].Data) <= Fixtures.Tolerance);
        float[] p = classifier.PredictProbabilities(input, (int)shape[0], (int)shape[1]);
        for (int b = 0; b < shape[0]; b++) Assert.AreEqual(1.0, p.Skip(3 * b).Take(3).Sum(), 1e-5);
    }
}

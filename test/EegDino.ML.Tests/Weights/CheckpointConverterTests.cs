using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Weights;

/// <summary>
/// The converter writes only what loads: it refuses weights that do not fit their network before
/// writing, validates the written file by reading it back strictly, and never replaces an existing
/// output with a file that failed.
/// </summary>
[TestClass]
public sealed class CheckpointConverterTests
{
    private string _folder = "";

    [TestInitialize]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("eegdino-convert-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [TestMethod]
    public void AProjectorCheckpointConvertsAndTheResultLoadsOnItsOwn()
    {
        string output = PathOf("tiny.safetensors");
        CheckpointConverter.Convert(CheckpointTestFiles.Checkpoint("tiny.dino-projectors.pt"), output, EegDinoWeightSource.Student, SafetensorsDType.F32, Fixtures.Config("tiny"));

        using var encoder = EegDinoEncoder.Load(output, new EegDinoEncoderOptions { InputScale = 1f }); // configuration from the metadata
        float[] input = Fixtures.Input("tiny", out long[] shape);
        double error = Fixtures.Nrmse(encoder.EncodeBatch(input, (int)shape[0], (int)shape[1]).Tokens, Fixtures.Io("tiny")["encoder_output.f64"].Data);
        Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, error);
        CollectionAssert.AreEquivalent(new[] { "tiny.safetensors" }, Directory.GetFiles(_folder).Select(Path.GetFileName).ToArray(), "no temporary file is left");
    }

    [TestMethod]
    public void WeightsThatDoNotFitTheirNetworkAreRefusedAndTheOutputIsLeftAlone()
    {
        var tensors = SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors;
        tensors["encoder_layers.0.attn.k_bias"] = new WeightTensor([1], [0]);
        string input = PathOf("broken.safetensors");
        SafetensorsWriter.Write(input, tensors);
        string output = PathOf("out.safetensors");
        File.WriteAllText(output, "an earlier, good conversion");

        var e = Assert.ThrowsExactly<EegDinoWeightsMismatchException>(() =>
            CheckpointConverter.Convert(input, output, EegDinoWeightSource.Student, SafetensorsDType.F32, Fixtures.Config("tiny")));

        CollectionAssert.AreEqual(new[] { "encoder_layers.0.attn.k_bias" }, e.Unexpected.ToArray());
        Assert.AreEqual("an earlier, good conversion", File.ReadAllText(output));
        Assert.HasCount(2, Directory.GetFiles(_folder), "no temporary file is left");
    }

    [TestMethod]
    [DataRow("F32")]
    [DataRow("F16")]
    [DataRow("BF16")]
    public void ValidationAcceptsTheFileAsWrittenInEachPrecision(string dtypeName)
    {
        var dtype = Enum.Parse<SafetensorsDType>(dtypeName);
        var weights = NetworkWeights.Load(Fixtures.Weights("tiny"), EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        string path = PathOf("tiny.safetensors");
        SafetensorsWriter.Write(path, weights.Tensors, new Dictionary<string, string> { ["config"] = weights.Config.ToJson() }, dtype);

        CheckpointConverter.Validate(path, weights, dtype);
    }

    [TestMethod]
    public void ValidationNamesAValueThatDoesNotReadBack()
    {
        var weights = NetworkWeights.Load(Fixtures.Weights("tiny"), EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        var written = weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var fc1 = written["encoder_layers.1.mlp.fc1.bias"];
        float[] changed = (float[])fc1.Data.Clone();
        changed[5] += 1;
        written["encoder_layers.1.mlp.fc1.bias"] = new WeightTensor(fc1.Shape, changed);
        string path = PathOf("tiny.safetensors");
        SafetensorsWriter.Write(path, written, new Dictionary<string, string> { ["config"] = weights.Config.ToJson() });

        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => CheckpointConverter.Validate(path, weights, SafetensorsDType.F32));
        StringAssert.Contains(e.Message, "tensor 'encoder_layers.1.mlp.fc1.bias' element 5 reads back as");
    }

    [TestMethod]
    public void ValidationNamesAConfigurationThatDoesNotReadBack()
    {
        var weights = NetworkWeights.Load(Fixtures.Weights("tiny"), EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        var tiny = Fixtures.Config("tiny");
        // Same shapes, other head count: only the stored configuration can tell.
        var other = new EegDinoConfig(tiny.NumberOfLayers, tiny.NumberOfHeads * 2, tiny.FeedForwardDim, tiny.Convolutions,
            tiny.NumberOfChannelEmbeddings, tiny.NumberOfGlobalTokens, tiny.GlobalTokenLayer, tiny.PatchSize);
        string path = PathOf("tiny.safetensors");
        SafetensorsWriter.Write(path, weights.Tensors, new Dictionary<string, string> { ["config"] = other.ToJson() });

        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => CheckpointConverter.Validate(path, weights, SafetensorsDType.F32));
        StringAssert.Contains(e.Message, "its configuration reads back as");
    }
}

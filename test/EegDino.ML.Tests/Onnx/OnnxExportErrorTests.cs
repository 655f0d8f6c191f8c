using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// Bad input to the exporter: a checkpoint that fails the strict load is refused with the loader's
/// message and writes nothing; an unwritable output path is an <see cref="EegDinoException"/> naming
/// the path; options that do not fit the model name the value and what was expected; a failed
/// export leaves no partial or temporary file behind.
/// </summary>
[TestClass]
public sealed class OnnxExportErrorTests
{
    private readonly TempFolder _temporary = TempFolder.Create("eegdino-onnx");

    private string Folder => _temporary.Path;

    [TestCleanup]
    public void DeleteFolder() => _temporary.Dispose();

    [TestMethod]
    public void ACheckpointThatFailsTheStrictLoadIsRefusedWithTheLoadersMessage()
    {
        var tensors = SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors;
        tensors.Remove("encoder_layers.1.attn.v_bias");
        tensors["encoder_layers.0.attn.extra"] = new WeightTensor([1], [0]);
        string model = Path.Combine(Folder, "broken.safetensors");
        SafetensorsWriter.Write(model, tensors, new Dictionary<string, string> { ["config"] = Fixtures.Config("tiny").ToJson() });
        string output = Path.Combine(Folder, "broken.onnx");

        var e = Assert.ThrowsExactly<EegDinoWeightsMismatchException>(() => EegDinoOnnxExporter.Export(model, output));
        StringAssert.Contains(e.Message, "missing 1: encoder_layers.1.attn.v_bias");
        StringAssert.Contains(e.Message, "unexpected 1: encoder_layers.0.attn.extra");
        Assert.IsFalse(File.Exists(output), "nothing is written for a refused model");
    }

    [TestMethod]
    public void AModelFileThatIsNotAModelIsAFormatError()
    {
        string model = Path.Combine(Folder, "not-a-model.safetensors");
        File.WriteAllText(model, "hello");
        Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoOnnxExporter.Export(model, Path.Combine(Folder, "x.onnx")));
    }

    [TestMethod]
    public void AnUnwritableOutputPathIsAClearError()
    {
        using var encoder = OnnxTestModels.LoadFixture("tiny");
        string missingFolder = Path.Combine(Folder, "no-such-folder", "model.onnx");
        var e = Assert.ThrowsExactly<EegDinoException>(() => EegDinoOnnxExporter.Export(encoder, missingFolder));
        StringAssert.Contains(e.Message, missingFolder);

        // A folder where the file should go.
        e = Assert.ThrowsExactly<EegDinoException>(() => EegDinoOnnxExporter.Export(encoder, Folder));
        StringAssert.Contains(e.Message, "is a folder");

        // Under /proc nothing can be created, even by root (the tests may run as root, where permission bits do not stop writes).
        e = Assert.ThrowsExactly<EegDinoException>(() => EegDinoOnnxExporter.Export(encoder, "/proc/eegdino-test.onnx"));
        StringAssert.Contains(e.Message, "/proc/eegdino-test.onnx");

        Assert.AreEqual(0, Directory.GetFiles(Folder).Length, "no temporary file is left behind");
    }

    [TestMethod]
    public void AnExistingFileIsReplacedByACompleteModel()
    {
        using var encoder = OnnxTestModels.LoadFixture("tiny");
        string output = Path.Combine(Folder, "model.onnx");
        File.WriteAllText(output, "old contents");
        EegDinoOnnxExporter.Export(encoder, output);
        CollectionAssert.AreEqual(OnnxTestModels.Export(encoder), File.ReadAllBytes(output), "the file holds the export, byte for byte");
        Assert.AreEqual(1, Directory.GetFiles(Folder).Length, "no temporary file is left behind");
    }

    [TestMethod]
    public void OptionsThatDoNotFitAreRefusedNamingTheValue()
    {
        using var encoder = OnnxTestModels.LoadFixture("tiny");
        using var stream = new MemoryStream();
        void Export(EegDinoOnnxExportOptions o) => EegDinoOnnxExporter.Export(encoder, stream, o);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Export(new() { Opset = 16 }));
        StringAssert.Contains(e.Message, "Opset is 16; the exporter writes opsets 17 to 23");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Export(new() { Opset = 24 }));
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Export(new() { Precision = EegDinoPrecision.BFloat16 }));
        StringAssert.Contains(e.Message, "Precision is BFloat16; ONNX export supports Float32 and Float16");

        var a = Assert.ThrowsExactly<ArgumentException>(() => Export(new() { Outputs = ["pooled"] }));
        StringAssert.Contains(a.Message, "Outputs holds 'pooled'; expected encoder_output, global_token, pooled_mean, logits");
        a = Assert.ThrowsExactly<ArgumentException>(() => Export(new() { Outputs = [] }));
        StringAssert.Contains(a.Message, "Outputs is empty");
        a = Assert.ThrowsExactly<ArgumentException>(() => Export(new() { Outputs = ["pooled_mean", "pooled_mean"] }));
        StringAssert.Contains(a.Message, "pooled_mean more than once");
        Assert.AreEqual(0L, stream.Length, "nothing is written for refused options");

        using var headless = OnnxModelStructureTests.EncoderWithoutHead();
        a = Assert.ThrowsExactly<ArgumentException>(() => EegDinoOnnxExporter.Export(headless, stream, new() { Outputs = ["logits"] }));
        StringAssert.Contains(a.Message, "no classification head");
    }

    [TestMethod]
    public void ADisposedEncoderOrAReadOnlyStreamIsRefused()
    {
        var encoder = OnnxTestModels.LoadFixture("tiny");
        Assert.ThrowsExactly<ArgumentException>(() => EegDinoOnnxExporter.Export(encoder, new MemoryStream([], writable: false)));
        encoder.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => EegDinoOnnxExporter.Export(encoder, new MemoryStream()));
    }
}

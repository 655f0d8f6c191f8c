using EegDino.ML.Tests.Onnx;

namespace EegDino.ML.Tests.Samples;

/// <summary><c>eegdino export-onnx</c>: the file ONNX Runtime runs gives the fixture's float64 reference; bad values are usage errors.</summary>
[TestClass]
public sealed class ExportOnnxCommandTests
{
    [TestMethod]
    public void TheExportedFileRunsInOnnxRuntimeWithFixtureParity()
    {
        using var folder = TempFolder.Create("cli-onnx");
        string output = folder.File("tiny.onnx");
        var result = CliHarness.Run("export-onnx", "--model", Fixtures.Weights("tiny"), "--config", Fixtures.File("tiny.json"), "--scale", "1",
            "--outputs", "pooled_mean,logits", "--output", output);
        Assert.AreEqual(0, result.ExitCode, result.Error);
        StringAssert.Contains(result.Out, "wrote");
        float[] input = Fixtures.Input("tiny", out long[] shape);
        using var session = OnnxTestModels.Session(File.ReadAllBytes(output));
        var outputs = OnnxTestModels.Run(session, input, shape);
        CollectionAssert.AreEquivalent(new[] { "pooled_mean", "logits" }, outputs.Keys.ToArray());
        double error = Fixtures.Nrmse(outputs["pooled_mean"].Data, OnnxTestModels.Reference("tiny", "pooled_mean"));
        Assert.IsLessThanOrEqualTo(1e-6, error, $"pooled_mean NRMSE {error:E2}");
    }

    [TestMethod]
    [DataRow("--opset", "12", "--opset is 12")]
    [DataRow("--outputs", "tokens", "--outputs names 'tokens'")]
    [DataRow("--precision", "bf16", "an ONNX export is fp32 or fp16")]
    public void BadValuesAreUsageErrors(string option, string value, string expected)
    {
        var result = CliHarness.Run("export-onnx", "--model", Fixtures.Weights("tiny"), "--output", "x.onnx", option, value);
        Assert.AreEqual(2, result.ExitCode);
        StringAssert.Contains(result.Error, expected);
    }
}

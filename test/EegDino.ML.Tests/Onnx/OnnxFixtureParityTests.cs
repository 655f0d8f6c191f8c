using EegDino.ML.Onnx;

namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// The exported graph in ONNX Runtime (CPU provider) against PyTorch's float64 reference on the golden
/// fixtures: every output within NRMSE 1e-6 in float32, as the TorchSharp path; float16 within bounds
/// measured on these fixtures (see <see cref="Float16Bounds"/>).
/// </summary>
[TestClass]
public sealed class OnnxFixtureParityTests
{
    public static IEnumerable<object[]> Cases => Fixtures.Cases.Select(c => new object[] { c });

    /// <summary>
    /// float16 bounds, NRMSE against the float64 reference: twice the worst case measured over the three
    /// fixtures with ONNX Runtime 1.31's CPU provider (encoder_output 5.4e-4, global_token 5.5e-4,
    /// pooled_mean 4.9e-4, logits 1.05e-3). Why that size is right: float16 keeps 11 significant bits,
    /// so rounding a value costs a relative RMS error of 2^-11 / sqrt(3) = 2.8e-4; the weights and the
    /// inputs of each matrix product are rounded once, the residual stream stays float32, so a few such
    /// errors add in quadrature per output (5e-4), not per layer (the 12-layer small fixture is no worse
    /// than the 2-layer ones). The head's logits pass through four more float16 products.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> Float16Bounds = new Dictionary<string, double>
    {
        ["encoder_output"] = 1.1e-3,
        ["global_token"] = 1.1e-3,
        ["pooled_mean"] = 1.0e-3,
        ["logits"] = 2.1e-3,
    };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EveryOutputMatchesTheFloat64ReferenceInFloat32(string caseName) =>
        AssertParity(caseName, new EegDinoOnnxExportOptions(), _ => Fixtures.Tolerance, "fp32");

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Float16StaysWithinItsMeasuredBounds(string caseName) =>
        AssertParity(caseName, new EegDinoOnnxExportOptions { Precision = EegDinoPrecision.Float16 }, name => Float16Bounds[name], "fp16");

    [TestMethod]
    public void EveryOpsetFromMinimumToMaximumGivesTheSameOutputs()
    {
        // Opsets 18 (reduction axes become inputs) and 20 (the DFT axis becomes an input) change node forms.
        for (int opset = EegDinoOnnxExporter.MinimumOpset; opset <= EegDinoOnnxExporter.MaximumOpset; opset++)
        {
            AssertParity("tiny", new EegDinoOnnxExportOptions { Opset = opset }, _ => Fixtures.Tolerance, $"opset {opset}");
            AssertParity("tiny", new EegDinoOnnxExportOptions { Opset = opset, Spectrum = OnnxSpectrumMethod.DftOperator }, _ => Fixtures.Tolerance, $"opset {opset} DFT");
        }
    }

    [TestMethod]
    public void TheDftOperatorSpectrumAlsoMatchesOnTheSmallPreset() =>
        AssertParity("small", new EegDinoOnnxExportOptions { Spectrum = OnnxSpectrumMethod.DftOperator }, _ => Fixtures.Tolerance, "fp32 DFT");

    [TestMethod]
    public void TheInputScaleIsAppliedInsideTheGraph()
    {
        // The fixture input is microvolts / 100: with the default scale 0.01, microvolts go in.
        float[] scaled = Fixtures.Input("tiny", out long[] shape);
        float[] microvolts = scaled.Select(v => v * 100f).ToArray();
        using var session = OnnxTestModels.Session(OnnxTestModels.Export("tiny", inputScale: 0.01f));
        var outputs = OnnxTestModels.Run(session, microvolts, shape);
        foreach (var (name, (_, data)) in outputs)
        {
            double error = Fixtures.Nrmse(data, OnnxTestModels.Reference("tiny", name));
            Assert.IsTrue(error <= Fixtures.Tolerance, $"{name}: NRMSE {error:E3} with the scale inside the graph");
        }
    }

    private static void AssertParity(string caseName, EegDinoOnnxExportOptions options, Func<string, double> bound, string label)
    {
        using var session = OnnxTestModels.Session(OnnxTestModels.Export(caseName, options));
        float[] input = Fixtures.Input(caseName, out long[] shape);
        var outputs = OnnxTestModels.Run(session, input, shape);

        CollectionAssert.AreEquivalent(EegDinoOnnxExporter.OutputNames.ToArray(), outputs.Keys.ToArray(), "the fixture models have a head: all four outputs");
        var report = new List<string>();
        foreach (var (name, (outputShape, data)) in outputs)
        {
            CollectionAssert.AreEqual(Fixtures.Io(caseName)[(name == "global_token" ? "pooled_mean" : name) + ".f64"].Shape, outputShape, $"{name} shape");
            double error = Fixtures.Nrmse(data, OnnxTestModels.Reference(caseName, name));
            report.Add($"{name} {error:E2}");
            Assert.IsTrue(error <= bound(name), $"{caseName} {label} {name}: NRMSE {error:E3} > {bound(name):E2}");
        }
        Console.WriteLine($"{caseName} onnx {label}: " + string.Join(", ", report));
    }
}

namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// The exported graph in ONNX Runtime (CPU provider) against PyTorch's float64 reference on the golden
/// fixtures: every output within NRMSE 1e-6 in float32, as the TorchSharp path.
/// </summary>
[TestClass]
public sealed class OnnxFixtureParityTests
{
    public static IEnumerable<object[]> Cases => Fixtures.Cases.Select(c => new object[] { c });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EveryOutputMatchesTheFloat64Reference(string caseName)
    {
        using var session = OnnxTestModels.Session(OnnxTestModels.Export(caseName));
        float[] input = Fixtures.Input(caseName, out long[] shape);
        var outputs = OnnxTestModels.Run(session, input, shape);

        CollectionAssert.AreEquivalent(EegDinoOnnxExporter.OutputNames.ToArray(), outputs.Keys.ToArray());
        var report = new List<string>();
        foreach (var (name, (_, data)) in outputs)
        {
            double error = Fixtures.Nrmse(data, OnnxTestModels.Reference(caseName, name));
            report.Add($"{name} {error:E2}");
            Assert.IsTrue(error <= Fixtures.Tolerance, $"{caseName} {name}: NRMSE {error:E3} > {Fixtures.Tolerance:E0}");
        }
        Console.WriteLine($"{caseName} onnx fp32: " + string.Join(", ", report));
    }
}

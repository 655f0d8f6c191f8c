using EegDino.ML.Model;
using EegDino.ML.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// The network against braindecode's PyTorch EEGDINO on the golden fixtures: every output and tap,
/// NRMSE against the float64 reference at most 1e-6 (PyTorch's own float32 error is 1e-7 to 8e-7).
/// </summary>
[TestClass]
public sealed class FixtureParityTests
{
    public static IEnumerable<object[]> Cases => Fixtures.Cases.Select(c => new object[] { c });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EveryOutputMatchesTheFloat64Reference(string caseName)
    {
        var io = Fixtures.Io(caseName);
        var weights = NetworkWeights.Load(Fixtures.Weights(caseName), EegDinoWeightSource.Student, Fixtures.Config(caseName));
        using var lease = EegDinoRuntime.Create(weights, new EegDinoModelOptions { InputScale = 1f }, withHead: true);
        var runtime = lease.Runtime;
        float[] input = Fixtures.Input(caseName, out long[] shape);

        var outputs = runtime.Run(() =>
        {
            var taps = new Dictionary<string, Tensor>();
            Tensor x = runtime.ToInputTensor(input, (int)shape[0], (int)shape[1]);
            Tensor tokens = runtime.Network.Encode(x, taps);
            var encoding = runtime.ToEncoding(tokens, (int)shape[1]);
            return new Dictionary<string, float[]>
            {
                ["encoder_output"] = encoding.Tokens,
                ["pooled_mean"] = encoding.PooledMean,
                ["patch_embedding"] = EegDinoRuntime.ToArray(taps["patch_embedding"]),
                ["layer0"] = EegDinoRuntime.ToArray(taps["layer0"]),
                ["logits"] = EegDinoRuntime.ToArray(runtime.Network.Classify(tokens, shape[1])),
            };
        });

        var report = new List<string>();
        foreach (var (name, actual) in outputs)
        {
            double error = Fixtures.Nrmse(actual, io[name + ".f64"].Data);
            report.Add($"{name} {error:E2}");
            Assert.IsTrue(error <= Fixtures.Tolerance, $"{caseName} {name}: NRMSE {error:E3} > {Fixtures.Tolerance:E0}");
        }
        Console.WriteLine($"{caseName}: " + string.Join(", ", report));
    }
}

using EegDino.ML.Model;
using EegDino.ML.Weights;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>
/// Converting to float16 / bfloat16 and back: the files load on their own (configuration in the
/// metadata), the round trip back to float32 is lossless, and the outputs move from the float32
/// model's by no more than the measured precision loss documented in docs/checkpoints.md.
/// </summary>
[TestClass]
public sealed class PrecisionRoundTripTests
{
    // Measured on the tiny fixture (encoder_output NRMSE against the float32 model): 5.6e-4 for
    // float16 and 3.8e-3 for bfloat16 (11 vs 8 significand bits: ~8x apart in theory, 6.8x seen).
    // The bounds leave a factor of ~2; a wrong conversion lands orders of magnitude higher.
    private const double F16Bound = 1e-3;
    private const double BF16Bound = 8e-3;

    private static float[] Encode(string path, EegDinoConfig? config = null)
    {
        var weights = NetworkWeights.Load(path, EegDinoWeightSource.Student, config);
        using var lease = EegDinoRuntime.Create(weights, new EegDinoModelOptions { InputScale = 1f }, withHead: false);
        var runtime = lease.Runtime;
        float[] input = Fixtures.Input("tiny", out long[] shape);
        return runtime.Run(() => runtime.ToEncoding(runtime.Network.Encode(runtime.ToInputTensor(input, (int)shape[0], (int)shape[1]), null), (int)shape[1]).Tokens);
    }

    private static double Nrmse(float[] actual, float[] reference) => Fixtures.Nrmse(actual, reference.Select(v => (double)v).ToArray());

    [TestMethod]
    [DataRow("F16", F16Bound)]
    [DataRow("BF16", BF16Bound)]
    public void ReducedPrecisionRoundTripStaysWithinTheMeasuredLoss(string dtypeName, double bound)
    {
        var dtype = Enum.Parse<SafetensorsDType>(dtypeName);
        string folder = Directory.CreateTempSubdirectory("eegdino-precision-").FullName;
        try
        {
            string pt = Fixtures.File("tiny.checkpoint.pt");
            string f32 = Path.Combine(folder, "tiny.f32.safetensors");
            string reduced = Path.Combine(folder, $"tiny.{dtype}.safetensors");
            string back = Path.Combine(folder, $"tiny.{dtype}.back.safetensors");
            CheckpointConverter.Convert(pt, f32, EegDinoWeightSource.Student, SafetensorsDType.F32, Fixtures.Config("tiny"));
            CheckpointConverter.Convert(pt, reduced, EegDinoWeightSource.Student, dtype, Fixtures.Config("tiny"));
            CheckpointConverter.Convert(reduced, back, EegDinoWeightSource.Student, SafetensorsDType.F32);

            float[] reference = Encode(f32);
            float[] fromReduced = Encode(reduced);
            float[] fromBack = Encode(back);

            double f64 = Fixtures.Nrmse(reference, Fixtures.Io("tiny")["encoder_output.f64"].Data);
            Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, f64, "the float32 conversion is exact");
            CollectionAssert.AreEqual(fromReduced, fromBack, "widening back to float32 loses nothing");
            double loss = Nrmse(fromReduced, reference);
            Console.WriteLine($"{dtype}: encoder_output NRMSE vs the float32 model {loss:E2} (bound {bound:E0})");
            Assert.IsGreaterThan(0, loss, "the reduced precision must actually be reduced");
            Assert.IsLessThanOrEqualTo(bound, loss);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

using EegDino.ML.Model;
using EegDino.ML.Weights;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>Networks loaded from .pt checkpoints against the golden float64 outputs.</summary>
[TestClass]
public sealed class TorchCheckpointParityTests
{
    private static Dictionary<string, float[]> Run(NetworkWeights weights, bool withHead)
    {
        using var lease = EegDinoRuntime.Create(weights, new EegDinoModelOptions { InputScale = 1f }, withHead);
        var runtime = lease.Runtime;
        float[] input = Fixtures.Input("tiny", out long[] shape);
        return runtime.Run(() =>
        {
            Tensor x = runtime.ToInputTensor(input, (int)shape[0], (int)shape[1]);
            Tensor tokens = runtime.Network.Encode(x, null);
            var result = new Dictionary<string, float[]> { ["encoder_output"] = runtime.ToEncoding(tokens, (int)shape[1]).Tokens };
            if (withHead) result["logits"] = EegDinoRuntime.ToArray(runtime.Network.Classify(tokens, shape[1]));
            return result;
        });
    }

    [TestMethod]
    public void TinyTrainingCheckpointStudentMatchesTheReference()
    {
        var io = Fixtures.Io("tiny");
        var weights = NetworkWeights.Load(Fixtures.File("tiny.checkpoint.pt"), EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        StringAssert.Contains(weights.Description, "torch checkpoint");
        Assert.IsNull(weights.HeadClasses);
        double error = Fixtures.Nrmse(Run(weights, withHead: false)["encoder_output"], io["encoder_output.f64"].Data);
        Console.WriteLine($"tiny.checkpoint.pt student encoder_output NRMSE {error:E2}");
        Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, error);
    }

    [TestMethod]
    public void TinyTrainingCheckpointTeacherDiffersAsDocumented()
    {
        var io = Fixtures.Io("tiny");
        var weights = NetworkWeights.Load(Fixtures.File("tiny.checkpoint.pt"), EegDinoWeightSource.Teacher, Fixtures.Config("tiny"));
        double error = Fixtures.Nrmse(Run(weights, withHead: false)["encoder_output"], io["encoder_output.f64"].Data);
        Console.WriteLine($"tiny.checkpoint.pt teacher encoder_output NRMSE vs student reference {error:E2}");
        // Teacher = student + 0.01 * noise: clearly another model, but a nearby one.
        Assert.IsGreaterThan(1e-3, error);
        Assert.IsLessThan(0.5, error);
    }

    [TestMethod]
    public void FineTunedNamesLoadWithTheirHead()
    {
        var io = Fixtures.Io("tiny");
        var weights = NetworkWeights.Load(CheckpointTestFiles.Checkpoint("tiny.finetuned.pt"), EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        Assert.AreEqual(3, weights.HeadClasses);
        var outputs = Run(weights, withHead: true);
        Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, Fixtures.Nrmse(outputs["encoder_output"], io["encoder_output.f64"].Data));
        double logits = Fixtures.Nrmse(outputs["logits"], io["logits.f64"].Data);
        Console.WriteLine($"tiny.finetuned.pt logits NRMSE {logits:E2}");
        Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, logits);
    }
}

/// <summary>The public entry point reads .pt checkpoints like any other model path.</summary>
[TestClass]
public sealed class EncoderLoadsTorchCheckpointTests
{
    [TestMethod]
    public void EncoderLoadsTheTrainingCheckpointAndEncodes()
    {
        using var encoder = EegDinoEncoder.Load(Fixtures.File("tiny.checkpoint.pt"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });
        Assert.IsFalse(encoder.HasHead);
        StringAssert.Contains(encoder.Description, "45 teacher encoder (source is student)");
        var encoding = encoder.Encode(Fixtures.Synthetic(16, 1000), 16);
        Assert.AreEqual(1, encoding.BatchSize);
        Assert.IsTrue(encoding.PooledMean.All(float.IsFinite));
    }
}

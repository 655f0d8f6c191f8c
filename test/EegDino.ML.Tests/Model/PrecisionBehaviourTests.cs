using EegDino.ML.Model;
using EegDino.ML.Weights;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// What reduced precision must keep: the float32 weights (saving is lossless), the float32 outputs, weights
/// converted once at load, float32 unchanged when it is chosen again, and errors (never NaN) for values the
/// chosen type cannot hold.
/// </summary>
[TestClass]
public sealed class PrecisionBehaviourTests
{
    private static NetworkWeights TinyWeights() =>
        NetworkWeights.Load(Fixtures.Weights("tiny"), EegDinoWeightSource.Student, Fixtures.Config("tiny"));

    private static RuntimeLease Tiny(EegDinoPrecision precision, NetworkWeights? weights = null) =>
        EegDinoRuntime.Create(weights ?? TinyWeights(), new EegDinoModelOptions { InputScale = 1f, Precision = precision }, withHead: true);

    [TestMethod]
    [DataRow(EegDinoPrecision.BFloat16)]
    [DataRow(EegDinoPrecision.Float16)]
    public void TheFloat32WeightsAreKeptAndSavedUnchanged(EegDinoPrecision precision)
    {
        var weights = TinyWeights();
        using var lease = Tiny(precision, weights);
        var runtime = lease.Runtime;
        foreach (var (key, parameter) in runtime.Network.state_dict())
            Assert.AreEqual(ScalarType.Float32, parameter.dtype, $"{key} stays a float32 master");
        var saved = NetworkWeights.Extract(runtime.Network);
        CollectionAssert.AreEquivalent(weights.Tensors.Keys.ToList(), saved.Keys.ToList(), "the same keys");
        foreach (var (key, tensor) in weights.Tensors)
            CollectionAssert.AreEqual(tensor.Data, saved[key].Data, $"{key} saved bit for bit");
    }

    [TestMethod]
    public void TheLayersWeightsAreConvertedOnceAtLoad()
    {
        using var lease = Tiny(EegDinoPrecision.BFloat16);
        var runtime = lease.Runtime;
        // Per layer: qkv.weight, q_bias, v_bias, proj.{weight,bias}, fc1.{weight,bias}, fc2.{weight,bias}.
        Assert.AreEqual(9 * runtime.Config.NumberOfLayers, runtime.Network.Precision.ConvertedWeights);
        Assert.AreEqual(EegDinoPrecision.BFloat16, runtime.Network.Precision.Precision);

        using var float32 = Tiny(EegDinoPrecision.Float32);
        Assert.AreEqual(0, float32.Runtime.Network.Precision.ConvertedWeights, "float32 makes no copies");
    }

    [TestMethod]
    public void WeightsThatTrainingUpdatesAreNotConvertedAhead()
    {
        using var lease = Tiny(EegDinoPrecision.Float32);
        var runtime = lease.Runtime;
        var lastLayer = runtime.Network.Layers[^1].parameters().ToList();
        runtime.Network.SetPrecision(EegDinoPrecision.Float16, lastLayer);
        Assert.AreEqual(9 * (runtime.Config.NumberOfLayers - 1), runtime.Network.Precision.ConvertedWeights);
    }

    [TestMethod]
    public void Float32AfterAReducedPrecisionIsBitIdenticalToFloat32()
    {
        float[] input = Fixtures.Input("tiny", out long[] shape);
        using var lease = Tiny(EegDinoPrecision.Float32);
        var runtime = lease.Runtime;
        float[] before = runtime.Encode(input, (int)shape[0], (int)shape[1]).Tokens;
        runtime.Network.SetPrecision(EegDinoPrecision.BFloat16);
        float[] reduced = runtime.Encode(input, (int)shape[0], (int)shape[1]).Tokens;
        runtime.Network.SetPrecision(EegDinoPrecision.Float32);
        float[] after = runtime.Encode(input, (int)shape[0], (int)shape[1]).Tokens;
        CollectionAssert.AreNotEqual(before, reduced, "bfloat16 changes the numbers");
        CollectionAssert.AreEqual(before, after, "float32 again gives the float32 numbers exactly");
    }

    [TestMethod]
    [DataRow(EegDinoPrecision.BFloat16)]
    [DataRow(EegDinoPrecision.Float16)]
    public void TheEncoderReportsItsPrecisionAndTheOutputsAreFloat32(EegDinoPrecision precision)
    {
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Precision = precision });
        Assert.AreEqual(precision, encoder.Options.Precision);
        StringAssert.Contains(encoder.Description, $"computes in {precision}");
        string? note = PrecisionSupport.SlowPathNote(precision, CPU);
        if (note is not null) StringAssert.Contains(encoder.Description, note, "the slow-path notice is in the description");

        using var input = randn(2, 16, 400);
        EegDinoEncoding encoding = encoder.Encode(input);
        Assert.IsTrue(encoding.Tokens.All(float.IsFinite));
        Assert.AreEqual(2 * (1 + 16 * 2) * 40, encoding.Tokens.Length);
    }

    [TestMethod]
    public void AnUnknownPrecisionIsRefusedWithTheValidNames()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Precision = (EegDinoPrecision)7 }));
        StringAssert.Contains(e.Message, "Precision is 7");
        StringAssert.Contains(e.Message, "Float32, BFloat16, Float16");
    }

    [TestMethod]
    public void Float16OverflowIsAnErrorNamingTheCauseNotNaN()
    {
        // fc1 of layer 0 scaled so that its outputs pass float16's largest value (65,504) but stay far inside float32's.
        var weights = TinyWeights();
        float[] fc1 = weights.Tensors["encoder_layers.0.mlp.fc1.weight"].Data;
        for (int i = 0; i < fc1.Length; i++) fc1[i] *= 1e5f;
        float[] input = Fixtures.Input("tiny", out long[] shape);

        using var halfLease = Tiny(EegDinoPrecision.Float16, weights);
        var e = Assert.ThrowsExactly<EegDinoException>(() => halfLease.Runtime.Encode(input, (int)shape[0], (int)shape[1]));
        StringAssert.Contains(e.Message, "Float16");
        StringAssert.Contains(e.Message, "65,504");
        StringAssert.Contains(e.Message, "BFloat16");

        using var bfloatLease = Tiny(EegDinoPrecision.BFloat16, weights);
        Assert.IsTrue(bfloatLease.Runtime.Encode(input, (int)shape[0], (int)shape[1]).Tokens.All(float.IsFinite), "bfloat16 has float32's range");
    }

    [TestMethod]
    public void AHugeSignalStaysFiniteInFloat16()
    {
        // Microvolts a million times too large: the float32 residual stream and the norms keep float16's matmuls in range.
        float[] signal = Fixtures.Synthetic(16, 400).Select(v => v * 1e6f).ToArray();
        float[] reference, half;
        using (var float32 = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") }))
            reference = float32.Encode(signal, 16).PooledMean;
        using (var float16 = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Precision = EegDinoPrecision.Float16 }))
            half = float16.Encode(signal, 16).PooledMean;
        double error = Fixtures.Nrmse(half, reference.Select(v => (double)v).ToArray());
        Console.WriteLine($"pooled NRMSE float16 vs float32 at 1e6 x the usual amplitude: {error:E2}");
        Assert.IsLessThan(1e-2, error);
    }

    [TestMethod]
    [DataRow(EegDinoPrecision.Float32)]
    [DataRow(EegDinoPrecision.BFloat16)]
    public void AnInputBeyondFloat32RangeIsAnErrorNotNaN(EegDinoPrecision precision)
    {
        // 1e30 is a finite float, but its square (GroupNorm's variance) is not.
        float[] signal = Fixtures.Synthetic(16, 400).Select(v => v * 1e30f).ToArray();
        using var lease = Tiny(precision);
        var runtime = lease.Runtime;
        var e = Assert.ThrowsExactly<EegDinoException>(() => runtime.Encode(signal, 1, 16));
        StringAssert.Contains(e.Message, "The network produced");
        StringAssert.Contains(e.Message, $"({precision})");
        StringAssert.Contains(e.Message, "InputScale");
    }
}

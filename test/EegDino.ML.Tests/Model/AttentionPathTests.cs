using EegDino.ML.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// Where the attention is libtorch's fused <c>scaled_dot_product_attention</c> and where three
/// operations, and that both give the fixtures' float64 reference (the explicit form forced on the CPU).
/// </summary>
[TestClass]
public sealed class AttentionPathTests
{
    [TestMethod]
    public void TheFusedKernelComputesWhereLibTorchHasOne()
    {
        Assert.IsNull(KernelSwitches.Attention);
        Assert.IsTrue(Attention.UsesFusedKernel(DeviceType.CPU, ScalarType.Float32, 25), "the CPU's flash kernel takes any head size");
        Assert.IsFalse(Attention.UsesFusedKernel(DeviceType.CUDA, ScalarType.Float32, 25), "Small's heads in float32 on CUDA");
        Assert.IsTrue(Attention.UsesFusedKernel(DeviceType.CUDA, ScalarType.Float32, 64));
        Assert.IsTrue(Attention.UsesFusedKernel(DeviceType.CUDA, ScalarType.BFloat16, 25));
        Assert.IsNull(KernelSwitches.Read("X", " AUTO "));
        Assert.AreEqual("explicit", KernelSwitches.Read("X", "Explicit", "fused", "explicit"));
        StringAssert.Contains(Assert.ThrowsExactly<EegDinoException>(() => KernelSwitches.Read("EEGDINO_ATTENTION", "flash", "fused", "explicit")).Message,
            "EEGDINO_ATTENTION is 'flash'; expected fused, explicit or auto (unset)");
    }

    [TestMethod]
    [DataRow("tiny")]
    [DataRow("small")]
    public void TheExplicitFormMeetsTheParityBound(string caseName)
    {
        float[] input = Fixtures.Input(caseName, out long[] shape);
        double[] expected = Fixtures.Io(caseName)["encoder_output.f64"].Data;
        KernelSwitches.Attention = "explicit";
        try
        {
            using var encoder = EegDinoEncoder.Load(Fixtures.Weights(caseName), new EegDinoEncoderOptions { Config = Fixtures.Config(caseName), InputScale = 1f });
            float[] tokens = encoder.EncodeBatch(input, (int)shape[0], (int)shape[1]).Tokens;
            double error = Fixtures.Nrmse(tokens, expected);
            Assert.IsTrue(error <= Fixtures.Tolerance, $"{caseName}, explicit attention: NRMSE {error:E3}");
        }
        finally
        {
            KernelSwitches.Attention = null;
        }
    }
}

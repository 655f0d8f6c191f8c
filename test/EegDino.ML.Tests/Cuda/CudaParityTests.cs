using TorchSharp;

namespace EegDino.ML.Tests.Cuda;

/// <summary>
/// The encoder on CUDA against braindecode's float64 reference on the golden fixtures, float32
/// with TF32 off (libtorch's default for matmul): NRMSE at most 1e-6, the bound the CPU meets.
/// </summary>
[TestClass]
[TestCategory(CudaMachine.Category)]
public sealed class CudaParityTests
{
    public static IEnumerable<object[]> Cases => Fixtures.Cases.Select(c => new object[] { c });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void EncodesEachFixtureOnCudaWithinTheParityBound(string caseName)
    {
        CudaMachine.Require();
        var reference = Reference.Of(caseName);
        float[] input = Fixtures.Input(caseName, out long[] shape);
        int batch = (int)shape[0], channels = (int)shape[1];

        EegDinoEncoding cuda = Encode(caseName, "cuda", input, batch, channels);
        EegDinoEncoding cpu = Encode(caseName, "cpu", input, batch, channels);

        var report = new List<string>();
        foreach (var (name, onCuda, onCpu, expected) in new[]
        {
            ("encoder_output", cuda.Tokens, cpu.Tokens, reference.Tokens),
            ("global_token", cuda.GlobalToken, cpu.GlobalToken, reference.GlobalToken),
            ("pooled_mean", cuda.PooledMean, cpu.PooledMean, reference.PooledMean),
        })
        {
            double error = Fixtures.Nrmse(onCuda, expected);
            double cpuError = Fixtures.Nrmse(onCpu, expected);
            double between = Fixtures.Nrmse(onCuda, onCpu.Select(v => (double)v).ToArray());
            report.Add($"{name} cuda {error:E2} cpu {cpuError:E2} cuda-vs-cpu {between:E2}");
            Assert.IsTrue(error <= Fixtures.Tolerance, $"{caseName} {name} on CUDA: NRMSE {error:E3} > {Fixtures.Tolerance:E0} against float64");
            // Both devices within the bound of the same reference are within twice the bound of each other.
            Assert.IsTrue(between <= 2 * Fixtures.Tolerance, $"{caseName} {name}: CUDA and CPU differ by NRMSE {between:E3} > {2 * Fixtures.Tolerance:E0}");
        }
        Console.WriteLine($"parity {caseName}: " + string.Join("; ", report));
    }

    /// <summary>
    /// TF32 is off unless asked for (libtorch's cuBLAS default; the network's convolutions are
    /// matmuls, so cuDNN's TF32 switch does not reach it), and TorchSharp's switch
    /// <c>torch.backends.cuda.matmul.allow_tf32</c> really changes the arithmetic: its error is reported.
    /// </summary>
    [TestMethod]
    [DoNotParallelize]
    public void Tf32IsOffByDefaultAndTheOptionTurnsItOn()
    {
        CudaMachine.Require();
        const string caseName = "medium_2layer";
        var reference = Reference.Of(caseName);
        float[] input = Fixtures.Input(caseName, out long[] shape);
        bool cudnnDefault = torch.backends.cudnn.allow_tf32;
        Assert.IsFalse(torch.backends.cuda.matmul.allow_tf32, "torch.backends.cuda.matmul.allow_tf32 is on by default");

        double off = Fixtures.Nrmse(Encode(caseName, "cuda", input, (int)shape[0], (int)shape[1]).Tokens, reference.Tokens);
        double on;
        try
        {
            on = Fixtures.Nrmse(Encode(caseName, "cuda", input, (int)shape[0], (int)shape[1], allowTf32: true).Tokens, reference.Tokens);
            Assert.IsTrue(torch.backends.cuda.matmul.allow_tf32, "AllowTf32 sets libtorch's process-wide switch");
        }
        finally
        {
            torch.backends.cuda.matmul.allow_tf32 = false;
        }
        Console.WriteLine($"tf32 {caseName} encoder_output: off {off:E2}, on {on:E2} (cudnn.allow_tf32 default {cudnnDefault})");
        Assert.IsTrue(off <= Fixtures.Tolerance, $"TF32 off: NRMSE {off:E3} > {Fixtures.Tolerance:E0}");
        Assert.IsTrue(on > off, $"AllowTf32 = true left the result as accurate as float32 (on {on:E3}, off {off:E3}): the switch did not reach cuBLAS");
    }

    [TestMethod]
    public void NaNAndOverflowOnTheGpuPathAreNamedAsOnTheCpu()
    {
        CudaMachine.Require();
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Device = "cuda" });
        float[] signals = Fixtures.Synthetic(2 * 4, 400);
        signals[1 * 4 * 400 + 2 * 400 + 7] = float.NaN;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => encoder.Embed(signals, 2, 4)).Message, "batch row 1, channel 2, sample 7");
        signals[1 * 4 * 400 + 2 * 400 + 7] = 3e38f;
        using var scaled = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Device = "cuda", InputScale = 10 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => scaled.Embed(signals, 2, 4)).Message, "overflows float32");
    }

    private static EegDinoEncoding Encode(string caseName, string device, float[] input, int batch, int channels, bool allowTf32 = false)
    {
        var options = new EegDinoEncoderOptions { Config = Fixtures.Config(caseName), InputScale = 1f, Device = device };
        options.Model.AllowTf32 = allowTf32;
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights(caseName), options);
        return encoder.EncodeBatch(input, batch, channels);
    }

    /// <summary>The float64 reference outputs of a fixture, the global token taken from the tokens.</summary>
    private sealed record Reference(double[] Tokens, double[] GlobalToken, double[] PooledMean)
    {
        public static Reference Of(string caseName)
        {
            var io = Fixtures.Io(caseName);
            var (shape, tokens) = io["encoder_output.f64"];
            long batch = shape[0], count = shape[1], dim = shape[2];
            var global = new double[batch * dim];
            for (long b = 0; b < batch; b++) Array.Copy(tokens, b * count * dim, global, b * dim, dim);
            return new Reference(tokens, global, io["pooled_mean.f64"].Data);
        }
    }
}

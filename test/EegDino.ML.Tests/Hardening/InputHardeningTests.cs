using EegDino.ML.Tests.MLNet;
using Microsoft.ML;
using EegDino.ML.Model;

namespace EegDino.ML.Tests.Hardening;

/// <summary>Inputs that overflow, are too long or would give NaN are errors that say what to do.</summary>
[TestClass]
public sealed class InputHardeningTests
{
    private static EegDinoEncoder Tiny(float scale = 0.01f) =>
        EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), InputScale = scale });

    [TestMethod]
    public void AnInputScaleThatOverflowsFloat32IsNamed()
    {
        using var encoder = Tiny(scale: 1e38f);
        var e = Assert.ThrowsExactly<ArgumentException>(() => encoder.Encode(Fixtures.Synthetic(2, 400), 2));
        StringAssert.Contains(e.Message, "times the input scale 1E+38 overflows float32");
        StringAssert.Contains(e.Message, "batch row 0, channel");
    }

    [TestMethod]
    public void ALongRecordingIsRefusedWithThePointerToWindowing()
    {
        using var encoder = Tiny();
        var signal = new float[19 * 2_000_000]; // 2.8 hours of 19 channels at 200 Hz
        var e = Assert.ThrowsExactly<ArgumentException>(() => encoder.Encode(signal, 19));
        StringAssert.Contains(e.Message, "190001 tokens");
        StringAssert.Contains(e.Message, $"at most {EegDinoInput.MaxTokensPerRecording} tokens per recording");
        StringAssert.Contains(e.Message, "LoadFromEegRecordings");
    }

    [TestMethod]
    public void TheLongestAcceptedRecordingEncodes()
    {
        using var encoder = Tiny();
        int channels = 19, patches = (EegDinoInput.MaxTokensPerRecording - 1) / channels;
        var encoding = encoder.Encode(Fixtures.Synthetic(channels, patches * 200), channels);
        Assert.AreEqual(1 + channels * patches, encoding.TokenCount);
        Assert.IsTrue(encoding.PooledMean.All(float.IsFinite));
        var e = Assert.ThrowsExactly<ArgumentException>(() => encoder.Encode(Fixtures.Synthetic(channels, (patches + 1) * 200), channels));
        StringAssert.Contains(e.Message, "one forward pass takes at most");
    }

    [TestMethod]
    public void TheChannelCapComesFromTheConfiguration()
    {
        var tiny = Fixtures.Config("tiny");
        var (tensors, _) = EegDino.ML.Weights.SafetensorsReader.Read(Fixtures.Weights("tiny"));
        // Tiny's channel embedding has 19 slots; a model with 19 slots takes 19 channels and not 20.
        Assert.AreEqual(19, tiny.NumberOfChannelEmbeddings);
        Assert.AreEqual(19, tensors["patch_embedding.channel_embedding.weight"].Shape[1]);
        using var encoder = Tiny();
        Assert.AreEqual(19, encoder.Encode(Fixtures.Synthetic(19, 200), 19).NumberOfChannels);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => encoder.Encode(Fixtures.Synthetic(20, 200), 20));
        StringAssert.Contains(e.Message, "numberOfChannels is 20; the model has 19 channel slots");
    }
}

/// <summary>"cuda:auto": one process per GPU, from the scheduler's variables.</summary>
[TestClass]
public sealed class LocalGpuTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) => name => vars.FirstOrDefault(v => v.Name == name).Value;

    [TestMethod]
    public void TheLocalRankPicksTheGpu()
    {
        Assert.AreEqual("cuda:0", EegDinoRuntime.LocalGpu(2, Env()));
        Assert.AreEqual("cuda:1", EegDinoRuntime.LocalGpu(2, Env(("SLURM_LOCALID", "1"))));
        Assert.AreEqual("cuda:1", EegDinoRuntime.LocalGpu(2, Env(("SLURM_LOCALID", "3"))));
        Assert.AreEqual("cuda:1", EegDinoRuntime.LocalGpu(4, Env(("LOCAL_RANK", "1"))));
        // The scheduler bound the process to one GPU: it is device 0 of what the process sees.
        Assert.AreEqual("cuda:0", EegDinoRuntime.LocalGpu(1, Env(("CUDA_VISIBLE_DEVICES", "3"), ("SLURM_LOCALID", "3"))));
        Assert.AreEqual("cuda:1", EegDinoRuntime.LocalGpu(2, Env(("CUDA_VISIBLE_DEVICES", "2,3"), ("SLURM_LOCALID", "1"))));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => EegDinoRuntime.LocalGpu(2, Env(("SLURM_LOCALID", "x")))).Message, "SLURM_LOCALID is 'x'");
    }
}

/// <summary>A model saved on a GPU and loaded where there is none: ML.NET's FallbackToCpu and GpuDeviceId decide.</summary>
[TestClass]
public sealed class LoadDeviceTests
{
    [TestMethod]
    public void AGpuModelFallsBackToTheCpuOnlyWhenTheContextAllows()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Inconclusive("This machine has CUDA: the fallback cannot be observed here (the Cuda tests load on the GPU).");
        Assert.AreEqual("cpu", EegDinoRuntime.DeviceForLoad("cpu", fallbackToCpu: false, gpuDeviceId: null, out string? none));
        Assert.IsNull(none);
        Assert.AreEqual("cpu", EegDinoRuntime.DeviceForLoad("cuda:1", fallbackToCpu: true, gpuDeviceId: null, out string? note));
        StringAssert.Contains(note, "saved for device 'cuda:1'");
        var e = Assert.ThrowsExactly<EegDinoException>(() => EegDinoRuntime.DeviceForLoad("cuda", fallbackToCpu: false, gpuDeviceId: null, out _));
        StringAssert.Contains(e.Message, "Set mlContext.FallbackToCpu = true");
        var gpu = Assert.ThrowsExactly<EegDinoException>(() => EegDinoRuntime.DeviceForLoad("cpu", fallbackToCpu: false, gpuDeviceId: 0, out _));
        StringAssert.Contains(gpu.Message, "'cuda:0' (mlContext.GpuDeviceId)");
    }

    /// <summary>
    /// A pipeline fitted and saved on an H200 (TestData/mlnet/tiny-tokens.cuda.zip, written by
    /// CudaPipelineTests on the GPU machine) scores here, on the CPU, within the parity bound of the
    /// float64 reference, once the context allows the fallback; without it, loading is a clear error.
    /// </summary>
    [TestMethod]
    public void AZipFittedAndSavedOnCudaScoresOnTheCpuWithinTheParityBound()
    {
        if (TorchSharp.torch.cuda.is_available()) Assert.Inconclusive("This machine has CUDA: the zip would load on the GPU (CudaPipelineTests covers that).");
        string zip = Path.Combine(AppContext.BaseDirectory, "TestData", "mlnet", "tiny-tokens.cuda.zip");
        var strict = new MLContext(seed: 1);
        // ML.NET calls model loaders through reflection, so our error arrives wrapped (TargetInvocationException).
        Exception? refused = Assert.Throws<Exception>(() => strict.Model.Load(zip, out _));
        while (refused is not null and not EegDinoException) refused = refused.InnerException;
        Assert.IsNotNull(refused, "an EegDinoException inside what ML.NET throws");
        StringAssert.Contains(refused.Message, "Set mlContext.FallbackToCpu = true");

        var ml = new MLContext(seed: 1) { FallbackToCpu = true };
        ITransformer loaded = ml.Model.Load(zip, out _);
        try
        {
            IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());
            float[] tokens = TinyModel.Flatten(SignalData.ReadEmbeddings(loaded.Transform(data)));
            double error = Fixtures.Nrmse(tokens, Fixtures.Io("tiny")["encoder_output.f64"].Data);
            Assert.IsTrue(error <= Fixtures.Tolerance, $"the CUDA-saved zip on the CPU: NRMSE {error:E3} > {Fixtures.Tolerance:E0}");
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }
}

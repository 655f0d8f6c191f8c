using EegDino.ML.Samples.Bench;
using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Tensors;
using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.Samples;

/// <summary>The cheap commands run for real and checked against something the app did not compute.</summary>
[TestClass]
public sealed class CliCommandRunTests
{
    private static void AssertOk(CliHarness.Result result) => Assert.AreEqual(ExitCodes.Ok, result.ExitCode, result.Error + result.Out);

    [TestMethod]
    public void EncodeMatchesTheFloat64ReferenceAcrossBatchChunks()
    {
        using var folder = TempFolder.Create("cli");
        string output = folder.File("out.safetensors");
        // The fixture file holds the input [3, 16, 1000] (already scaled) beside the references; 2 rows per forward: chunks of 2 and 1.
        AssertOk(CliHarness.Run("encode", "--model", Fixtures.Weights("tiny"), "--config", Fixtures.File("tiny.json"), "--scale", "1",
            "--input", Fixtures.File("tiny.io.safetensors"), "--output", output, "--batch-size", "2"));
        var (tensors, metadata) = SafetensorsFile.Read(output);
        var reference = Fixtures.Io("tiny");
        foreach (string name in new[] { "encoder_output", "pooled_mean", "logits" })
        {
            CollectionAssert.AreEqual(reference[$"{name}.f64"].Shape, tensors[name].Shape, name);
            double error = Fixtures.Nrmse(tensors[name].Data, reference[$"{name}.f64"].Data);
            Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, error, $"{name} NRMSE {error:E2}");
        }
        CollectionAssert.AreEqual(new long[] { 3, 40 }, tensors["global_token"].Shape);
        Assert.AreEqual(Fixtures.Config("tiny"), EegDinoConfig.FromJson(metadata["config"]));
    }

    [TestMethod]
    public void PreprocessWritesTheMappedSignalAtTwoHundredHertz()
    {
        using var folder = TempFolder.Create("cli");
        string output = folder.File("signal.safetensors");
        AssertOk(CliHarness.Run("preprocess", EdfTestWriter.TestData("S001R01.edf"), "--output", output));
        var (tensors, metadata) = SafetensorsFile.Read(output);
        CollectionAssert.AreEqual(new long[] { 19, 61 * 200 }, tensors["signal"].Shape, "61 s at 160 Hz resampled to 200 Hz");
        Assert.AreEqual("200", metadata["samples_per_second"]);
        Assert.AreEqual("Fp1", metadata["channels"].Split(',')[0]);
        Assert.IsTrue(tensors["signal"].Data.All(float.IsFinite));
    }

    [TestMethod]
    public void ConvertWritesAFileThatInspectAndTheEncoderRead()
    {
        using var folder = TempFolder.Create("cli");
        string output = folder.File("teacher.safetensors");
        var result = CliHarness.Run("convert", Fixtures.File("tiny.checkpoint.pt"), "--output", output, "--source", "teacher", "--config", Fixtures.File("tiny.json"));
        AssertOk(result);
        StringAssert.Contains(result.Out, "read back and checked");
        var inspect = CliHarness.Run("inspect", output, "--tensors");
        AssertOk(inspect);
        StringAssert.Contains(inspect.Out, "format:   safetensors");
        StringAssert.Contains(inspect.Out, "global_tokens");
        using var encoder = EegDinoEncoder.Load(output, new EegDinoEncoderOptions { InputScale = 1 });
        Assert.AreEqual(Fixtures.Config("tiny"), encoder.Config, "the configuration travels in the metadata");
        using var direct = EegDinoEncoder.Load(Fixtures.File("tiny.checkpoint.pt"), new EegDinoEncoderOptions { InputScale = 1, WeightSource = EegDinoWeightSource.Teacher, Config = Fixtures.Config("tiny") });
        float[] signal = Fixtures.Synthetic(16, 400);
        CollectionAssert.AreEqual(direct.Encode(signal, 16).PooledMean, encoder.Encode(signal, 16).PooledMean);
    }

    [TestMethod]
    public void InfoMapsThePresentChannels()
    {
        var result = CliHarness.Run("info", "--use-present-channels", EdfTestWriter.TestData("S001R01.edf"));
        AssertOk(result);
        StringAssert.Contains(result.Out, "signals:     65");
        StringAssert.Contains(result.Out, "montage (model channel order: Fp1");
    }

    [TestMethod]
    public void BenchWritesTheDocumentedJsonAndReportsARefusedPrecisionAsSkipped()
    {
        using var folder = TempFolder.Create("cli");
        string json = folder.File("bench.json");
        AssertOk(CliHarness.Run("bench", "--sizes", "small", "--batch-sizes", "1", "--precision", "fp32,bf16", "--repeats", "1", "--seconds", "1", "--json", json));
        var report = BenchReport.FromJson(File.ReadAllText(json));
        Assert.AreEqual(Environment.ProcessorCount, report.Machine.Cores);
        Assert.IsFalse(string.IsNullOrEmpty(report.Machine.CpuModel));
        Assert.IsNull(report.Machine.Gpu, "no GPU name on a CPU run");
        CollectionAssert.AreEquivalent(new[] { "fp32", "bf16" }, report.Peaks.Keys.ToArray());
        Assert.IsTrue(report.Peaks.Values.All(p => p > 0));
        Assert.HasCount(2, report.Cases);
        var fp32 = report.Cases.Single(c => c.Precision == "fp32");
        Assert.AreEqual(("Small", 1, "cpu"), (fp32.Size, fp32.Batch, fp32.Device));
        Assert.IsNull(fp32.Skipped);
        Assert.IsTrue(fp32.MedianMs >= fp32.BestMs && fp32.BestMs > 0);
        Assert.AreEqual(1000 / fp32.MedianMs!.Value, fp32.SamplesPerSecond!.Value, 1e-9);
        Assert.AreEqual(ForwardFlops.PerSample(EegDinoConfig.FromPreset(EegDinoSize.Small), 19, 2000) / 1e9 * fp32.SamplesPerSecond.Value, fp32.Gflops!.Value, 1e-6);
        var bf16 = report.Cases.Single(c => c.Precision == "bf16");
        Assert.IsTrue(bf16.Skipped is not null ? bf16.MedianMs is null : bf16.MedianMs > 0, "a bf16 case is either timed or skipped with its reason");
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        CollectionAssert.AreEqual(new[] { "machine", "peaks", "cases" }, document.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
        CollectionAssert.IsSubsetOf(new[] { "size", "batch", "device", "precision", "median_ms", "best_ms", "samples_per_second", "gflops" },
            document.RootElement.GetProperty("cases")[0].EnumerateObject().Select(p => p.Name).ToArray());
    }

    [TestMethod]
    public void TheFlopCountOfAPresetIsTheDocumentedOne()
    {
        // README: "FLOPs per sample: Small 2.04 G, Medium 14.19 G, Large 81.13 G".
        Assert.AreEqual(2.04, ForwardFlops.PerSample(EegDinoConfig.FromPreset(EegDinoSize.Small), 19, 2000) / 1e9, 0.005);
        Assert.AreEqual(14.19, ForwardFlops.PerSample(EegDinoConfig.FromPreset(EegDinoSize.Medium), 19, 2000) / 1e9, 0.005);
        Assert.AreEqual(81.13, ForwardFlops.PerSample(EegDinoConfig.FromPreset(EegDinoSize.Large), 19, 2000) / 1e9, 0.005);
    }

    [TestMethod]
    public void ARandomEncoderIsReproducibleAndFinite()
    {
        var config = Fixtures.Config("tiny");
        using var a = EegDinoEncoder.CreateRandom(config, seed: 3);
        using var b = EegDinoEncoder.CreateRandom(config, seed: 3);
        using var c = EegDinoEncoder.CreateRandom(config, seed: 4);
        float[] signal = Fixtures.Synthetic(16, 400);
        float[] x = a.Encode(signal, 16).PooledMean;
        CollectionAssert.AreEqual(x, b.Encode(signal, 16).PooledMean);
        CollectionAssert.AreNotEqual(x, c.Encode(signal, 16).PooledMean);
        Assert.IsTrue(x.All(float.IsFinite));
        Assert.IsFalse(a.HasHead);
        StringAssert.Contains(a.Description, "random weights (seed 3)");
    }
}

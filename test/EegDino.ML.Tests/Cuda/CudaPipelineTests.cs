using EegDino.ML.Tests.MLNet;
using Microsoft.ML;

namespace EegDino.ML.Tests.Cuda;

/// <summary>
/// The ML.NET transform with <c>Device = "cuda"</c>: fitted, saved to a model zip, loaded into a
/// fresh MLContext and scored, against the float64 reference and the same pipeline on the CPU.
/// </summary>
[TestClass]
[TestCategory(CudaMachine.Category)]
public sealed class CudaPipelineTests
{
    [TestMethod]
    public void FittedOnCudaSavedLoadedAndScoredMatchesTheReference()
    {
        CudaMachine.Require();
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());
        double[] expected = Fixtures.Io("tiny")["encoder_output.f64"].Data;
        EegDinoEmbeddingOptions Options(string device)
        {
            // Batch size 2 over the fixture's 3 rows: a full and a partial batch.
            var options = TinyModel.Options(batchSize: 2, kind: EegDinoEmbeddingKind.Tokens);
            options.Device = device;
            return options;
        }

        float[] onCpu;
        using (var cpu = ml.Transforms.EegDinoEmbed(Options("cpu")).Fit(data))
            onCpu = TinyModel.Flatten(SignalData.ReadEmbeddings(cpu.Transform(data)));

        using var zip = new MemoryStream();
        float[] fitted;
        using (var cuda = ml.Transforms.EegDinoEmbed(Options("cuda")).Fit(data))
        {
            fitted = TinyModel.Flatten(SignalData.ReadEmbeddings(cuda.Transform(data)));
            ml.Model.Save(cuda, data.Schema, zip);
        }
        // On the GPU machine run.sh names a folder: the zip comes back and is kept as test data, so the
        // CPU suite scores a model fitted and saved on CUDA (LoadDeviceTests).
        if (Environment.GetEnvironmentVariable("EEGDINO_GPU_ARTIFACTS") is { Length: > 0 } artifacts)
            File.WriteAllBytes(Path.Combine(artifacts, "tiny-tokens.cuda.zip"), zip.ToArray());
        zip.Position = 0;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        float[] scored;
        try
        {
            scored = TinyModel.Flatten(SignalData.ReadEmbeddings(loaded.Transform(data)));
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }

        double fittedError = Fixtures.Nrmse(fitted, expected), scoredError = Fixtures.Nrmse(scored, expected);
        double cpuError = Fixtures.Nrmse(onCpu, expected);
        Console.WriteLine($"pipeline tiny tokens: cuda fitted {fittedError:E2}, cuda loaded {scoredError:E2}, cpu {cpuError:E2}");
        Assert.IsTrue(fittedError <= Fixtures.Tolerance, $"fitted on CUDA: NRMSE {fittedError:E3} > {Fixtures.Tolerance:E0}");
        Assert.IsTrue(scoredError <= Fixtures.Tolerance, $"loaded from the zip: NRMSE {scoredError:E3} > {Fixtures.Tolerance:E0}");
        CollectionAssert.AreEqual(fitted, scored, "the loaded model scores differently from the one that was saved");
        double between = Fixtures.Nrmse(scored, onCpu.Select(v => (double)v).ToArray());
        // Both within the bound of the same reference, so within twice the bound of each other.
        Assert.IsTrue(between <= 2 * Fixtures.Tolerance, $"CUDA and CPU pipelines differ by NRMSE {between:E3}");
    }
}

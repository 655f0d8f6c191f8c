using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>
/// Save/load in the ML.NET model zip, weights included: in process, in a child process that never
/// touched EegDino.ML (alone and chained with a trainer, the weights file deleted), and a model zip
/// written by format 1 of the library, committed as test data, still loads.
/// </summary>
[TestClass]
public sealed class EmbeddingPersistenceTests
{
    public TestContext TestContext { get; set; } = null!;

    private static string TempDirectory()
    {
        string dir = TempFolder.Create("mlnet").Path;
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    public void SavedAndLoadedInProcessGivesIdenticalOutput()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SignalData.Load(ml, SignalData.Rows(10, 2, 400), 800);
        var options = new EegDinoEmbeddingOptions { NumberOfChannels = 2, InputScale = 0.5f, BatchSize = 3, OutputKind = EegDinoEmbeddingKind.Tokens };
        using var transformer = SignalData.TinyEstimator(options).Fit(data);
        var expected = SignalData.ReadEmbeddings(transformer.Transform(data));

        using var zip = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, zip);
        zip.Position = 0;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(zip, out DataViewSchema inputSchema);

        Assert.AreEqual(800, ((VectorDataViewType)inputSchema["Signal"].Type).Size);
        var reloaded = loaded as EegDinoEmbeddingTransformer ?? ((TransformerChain<ITransformer>)loaded).OfType<EegDinoEmbeddingTransformer>().Single();
        Assert.AreEqual(EegDinoEmbeddingKind.Tokens, reloaded.OutputKind);
        Assert.AreEqual(3, reloaded.BatchSize);
        Assert.AreEqual(2, reloaded.NumberOfChannels);
        var actual = SignalData.ReadEmbeddings(loaded.Transform(data));
        for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        reloaded.Dispose();
    }

    [TestMethod]
    public void LoadsInAFreshProcessWithTheWeightsFileDeleted()
    {
        string dir = TempDirectory();
        try
        {
            string weights = Path.Combine(dir, "tiny.safetensors");
            File.Copy(Fixtures.Weights("tiny"), weights);
            var ml = new MLContext(seed: 1);
            var rows = TinyModel.Rows(6);
            IDataView data = TinyModel.Load(ml, rows);
            string zip = Path.Combine(dir, "embedding.zip");
            float[][] expected;
            using (var transformer = ml.Transforms.EegDinoEmbed(TinyModel.Options(weights, batchSize: 4, inputScale: 0.01f)).Fit(data))
            {
                expected = SignalData.ReadEmbeddings(transformer.Transform(data)).ToArray();
                ml.Model.Save(transformer, data.Schema, zip);
            }
            File.Delete(weights);

            float[][] actual = ModelLoadProbe.Run(TestContext, zip, rows.Select(r => r.Signal).ToList(), "Embedding", dir);

            Assert.HasCount(expected.Length, actual);
            for (int i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void LoadsInAFreshProcessChainedWithATrainer()
    {
        string dir = TempDirectory();
        try
        {
            string weights = Path.Combine(dir, "tiny.safetensors");
            File.Copy(Fixtures.Weights("tiny"), weights);
            var ml = new MLContext(seed: 1);
            var rows = TinyModel.Rows(24);
            IDataView data = TinyModel.Load(ml, rows);
            var pipeline = ml.Transforms.EegDinoEmbed(TinyModel.Options(weights, inputScale: 0.01f))
                .AppendCacheCheckpoint(ml)
                .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(labelColumnName: "Label", featureColumnName: "Embedding", maximumNumberOfIterations: 5));
            var model = pipeline.Fit(data);
            float[] expected = model.Transform(data).GetColumn<float>("Score").ToArray();
            string zip = Path.Combine(dir, "chain.zip");
            ml.Model.Save(model, data.Schema, zip);
            foreach (var disposable in model.OfType<IDisposable>()) disposable.Dispose();
            File.Delete(weights);

            float[][] actual = ModelLoadProbe.Run(TestContext, zip, rows.Select(r => r.Signal).ToList(), "Score", dir);

            CollectionAssert.AreEqual(expected, actual.Select(r => r.Single()).ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A model saved by format 1 (EegDino.ML 0.1.0), committed under TestData/mlnet: every later
    /// version must load it and give the fixture's pooled mean. Never regenerate it after a release.
    /// </summary>
    [TestMethod]
    public void ModelSavedByFormat1StillLoads()
    {
        string zip = Path.Combine(AppContext.BaseDirectory, "TestData", "mlnet", "tiny-embedding-format1.zip");
        if (!File.Exists(zip)) Assert.Fail($"Test data {zip} is missing; it is committed under test/EegDino.ML.Tests/TestData/mlnet.");
        var ml = new MLContext(seed: 1);
        ITransformer loaded = ml.Model.Load(zip, out _);
        IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());

        float[] actual = TinyModel.Flatten(SignalData.ReadEmbeddings(loaded.Transform(data)));

        double error = Fixtures.Nrmse(actual, Fixtures.Io("tiny")["pooled_mean.f64"].Data);
        Assert.IsTrue(error <= Fixtures.Tolerance, $"NRMSE {error:E3}");
        (loaded as IDisposable)?.Dispose();
    }
}

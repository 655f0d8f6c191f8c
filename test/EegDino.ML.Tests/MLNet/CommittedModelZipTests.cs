using EegDino.ML.Tests.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>
/// Model zips written by earlier versions of the library (TestData/mlnet, see its README.md) load
/// with today's code and give the numbers the writing version computed, bit for bit: the embedding
/// pipeline (EegDinoEmbed + SDCA) and the trained classifier, in process and, for the classifier,
/// in a fresh process through ML.NET alone.
/// </summary>
[TestClass]
public sealed class CommittedModelZipTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(ModelZipTestData.EmbeddingPipeline)]
    [DataRow(ModelZipTestData.EmbeddingPipelineWithContract)]
    public void EmbeddingPipelineOfVersion0x00010001LoadsAndScoresIdentically(string name)
    {
        var expected = ModelZipTestData.Expected(name);
        var ml = new MLContext(seed: 1);
        ITransformer loaded = ml.Model.Load(ModelZipTestData.Zip(name), out DataViewSchema inputSchema);
        try
        {
            Assert.AreEqual(TinyModel.Channels * TinyModel.Samples, ((VectorDataViewType)inputSchema["Signal"].Type).Size);
            var embedding = ((TransformerChain<ITransformer>)loaded).OfType<EegDinoEmbeddingTransformer>().Single();
            Assert.AreEqual(2, embedding.BatchSize);
            Assert.AreEqual(EegDinoEmbeddingKind.PooledMean, embedding.OutputKind);

            IDataView scored = loaded.Transform(TinyModel.Load(ml, TinyModel.FixtureRows()));

            CollectionAssert.AreEqual(expected["embedding"].Data, TinyModel.Flatten(SignalData.ReadEmbeddings(scored)), "embeddings");
            CollectionAssert.AreEqual(expected["score"].Data, scored.GetColumn<float>("Score").ToArray(), "SDCA scores");
            // And the embeddings are still the fixture's (the zip holds the fixture weights).
            double error = Fixtures.Nrmse(expected["embedding"].Data, Fixtures.Io("tiny")["pooled_mean.f64"].Data);
            Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, error, $"NRMSE {error:E3}");
        }
        finally
        {
            foreach (var disposable in ((TransformerChain<ITransformer>)loaded).OfType<IDisposable>()) disposable.Dispose();
        }
    }

    [TestMethod]
    [DataRow(ModelZipTestData.Classifier)]
    [DataRow(ModelZipTestData.ClassifierWithContract)]
    public void ClassifierOfVersion0x00010001LoadsAndScoresIdentically(string name)
    {
        var expected = ModelZipTestData.Expected(name);
        var rows = ModelZipTestData.ClassifierRows();
        CollectionAssert.AreEqual(expected["input"].Data, rows.SelectMany(r => r.Signal).ToArray(), "the committed input rows are the generated ones");
        var ml = new MLContext(seed: 1);
        using var loaded = (EegDinoClassificationTransformer)ml.Model.Load(ModelZipTestData.Zip(name), out _);
        CollectionAssert.AreEqual(new[] { "alpha", "beta" }, loaded.Model.ClassNames!.ToArray());
        Assert.HasCount(2, loaded.History.Epochs);
        Assert.AreEqual(3, loaded.BatchSize);

        var scores = RhythmData.Scores(loaded.Transform(RhythmData.Load(ml, rows)));

        CollectionAssert.AreEqual(expected["score"].Data, scores.SelectMany(s => s).ToArray());
    }

    [TestMethod]
    public void ClassifierOfVersion0x00010001LoadsInAFreshProcess()
    {
        var expected = ModelZipTestData.Expected(ModelZipTestData.Classifier);
        string dir = Path.Combine(Path.GetTempPath(), "eegdino-committed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            float[][] actual = ModelLoadProbe.Run(TestContext, ModelZipTestData.Zip(ModelZipTestData.Classifier),
                ModelZipTestData.ClassifierRows().Select(r => r.Signal).ToList(), "Score", dir);
            CollectionAssert.AreEqual(expected["score"].Data, actual.SelectMany(s => s).ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

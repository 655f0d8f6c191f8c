using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Training;

/// <summary>The trained classifier in the ML.NET model zip: in process, in a fresh process, and as safetensors for EegDinoClassifier.</summary>
[TestClass]
public sealed class ClassifierPersistenceTests
{
    public TestContext TestContext { get; set; } = null!;

    private static EegDinoClassificationTransformer Train(MLContext ml, IDataView train)
    {
        var options = RhythmData.Options(epochs: 2);
        options.InferenceBatchSize = 3;
        return ml.MulticlassClassification.Trainers.EegDino(options).Fit(train);
    }

    [TestMethod]
    public void SavedAndLoadedInProcessScoresIdenticallyWithClassNamesAndHistory()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = RhythmData.Load(ml, RhythmData.Rows(12, seed: 5));
        using var model = Train(ml, data);
        var expected = RhythmData.Scores(model.Transform(data));

        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        zip.Position = 0;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        var reloaded = (EegDinoClassificationTransformer)loaded;

        var actual = RhythmData.Scores(loaded.Transform(data));
        for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}");
        CollectionAssert.AreEqual(new[] { "alpha", "beta" }, reloaded.Model.ClassNames!.ToArray());
        Assert.HasCount(2, reloaded.History.Epochs);
        Assert.AreEqual(model.History.Epochs[1].TrainingLoss, reloaded.History.Epochs[1].TrainingLoss);
        Assert.AreEqual(model.History.Seed, reloaded.History.Seed);
        Assert.AreEqual(3, reloaded.BatchSize);

        // PredictedLabel maps back to the class names.
        var names = ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel").Fit(loaded.Transform(data)).Transform(loaded.Transform(data));
        var predicted = names.GetColumn<string>("PredictedClass").ToList();
        CollectionAssert.IsSubsetOf(predicted.Distinct().ToList(), new[] { "alpha", "beta" });
        reloaded.Dispose();
    }

    [TestMethod]
    public void PredictionEngineAgreesWithTheBatchedTransform()
    {
        var ml = new MLContext(seed: 1);
        var rows = RhythmData.Rows(7, seed: 5);
        IDataView data = RhythmData.Load(ml, rows);
        using var model = Train(ml, data);
        var batched = RhythmData.Scores(model.Transform(data));
        var engine = ml.Model.CreatePredictionEngine<RhythmSignal, TinyClassifierData.Prediction>(model);
        for (int i = 0; i < rows.Count; i++)
        {
            var prediction = engine.Predict(new RhythmSignal { Signal = rows[i].Signal });
            for (int k = 0; k < 2; k++) Assert.AreEqual(batched[i][k], prediction.Score[k], 1e-5, $"row {i} class {k}");
            Assert.AreEqual(batched[i][0] >= batched[i][1] ? 1u : 2u, prediction.PredictedLabel, $"row {i}");
        }
    }

    [TestMethod]
    public void LoadsInAFreshProcessWithIdenticalScores()
    {
        string dir = TempFolder.Create("train").Path;
        Directory.CreateDirectory(dir);
        try
        {
            var ml = new MLContext(seed: 1);
            var rows = RhythmData.Rows(5, seed: 5);
            IDataView data = RhythmData.Load(ml, rows);
            string zip = Path.Combine(dir, "classifier.zip");
            List<float[]> expected;
            using (var model = Train(ml, data))
            {
                expected = RhythmData.Scores(model.Transform(data));
                ml.Model.Save(model, data.Schema, zip);
            }

            float[][] actual = ModelLoadProbe.Run(TestContext, zip, rows.Select(r => r.Signal).ToList(), "Score", dir);
            Assert.HasCount(expected.Count, actual);
            for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}: identical scores in a fresh process");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void SavedWeightsLoadAsAnEegDinoClassifierWithTheSameProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var rows = RhythmData.Rows(4, seed: 5);
        IDataView data = RhythmData.Load(ml, rows);
        using var model = Train(ml, data);
        var expected = RhythmData.Scores(model.Transform(data));

        using var weights = new MemoryStream();
        model.Model.SaveWeights(weights);
        string path = TempFolder.NewFile("train", ".safetensors");
        File.WriteAllBytes(path, weights.ToArray());
        try
        {
            using var classifier = EegDinoClassifier.Load(path);
            float[] probabilities = classifier.PredictProbabilities(rows.SelectMany(r => r.Signal).ToArray(), rows.Count, RhythmData.Channels);
            for (int i = 0; i < rows.Count; i++)
                for (int k = 0; k < 2; k++) Assert.AreEqual(expected[i][k], probabilities[i * 2 + k], 1e-6, $"row {i} class {k}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>PredictionEngine input for the rhythm data.</summary>
public sealed class RhythmSignal
{
    [Microsoft.ML.Data.VectorType(RhythmData.Size)]
    public float[] Signal { get; set; } = [];
}

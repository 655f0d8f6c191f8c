using EegDino.ML.Weights;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Training;

/// <summary>Starting from the head stored in a fine-tuned checkpoint (braindecode or original names), and the errors when it does not fit.</summary>
[TestClass]
public sealed class ClassifierCheckpointHeadTests
{
    private const double Tolerance = 1e-5;

    private static void AssertFixtureParity(IReadOnlyList<float[]> scores)
    {
        var expected = TinyClassifierData.ExpectedProbabilities();
        Assert.HasCount(expected.Length, scores);
        for (int b = 0; b < expected.Length; b++)
            for (int k = 0; k < expected[b].Length; k++)
                Assert.AreEqual(expected[b][k], scores[b][k], Tolerance, $"row {b} class {k}");
    }

    [TestMethod]
    public void StoredHeadScoresWithParityToTheFixtureLogits()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyClassifierData.Load(ml, TinyClassifierData.FixtureRows());
        using var model = ml.MulticlassClassification.Trainers.EegDino(TinyClassifierData.ScoreOnly()).Fit(data);

        Assert.IsEmpty(model.Model.History.Epochs);
        AssertFixtureParity(RhythmData.Scores(model.Transform(data)));

        var engine = ml.Model.CreatePredictionEngine<TinyClassifierData.Row, TinyClassifierData.Prediction>(model);
        var rows = TinyClassifierData.FixtureRows();
        AssertFixtureParity(rows.Select(r => engine.Predict(r).Score).ToList());
    }

    [TestMethod]
    public void WorksInsideAnEstimatorChainWithMapKeyToValue()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(TinyClassifierData.FixtureRows());
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Class")
            .Append(ml.MulticlassClassification.Trainers.EegDino(TinyClassifierData.ScoreOnly()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"));
        var chainShape = pipeline.GetOutputSchema(EegDino.ML.MLNet.Internals.SchemaShapes.FromSchema(raw.Schema));
        Assert.IsTrue(chainShape.Any(c => c.Name == "Score") && chainShape.Any(c => c.Name == "PredictedClass"));

        var model = pipeline.Fit(raw);
        IDataView scored = model.Transform(raw);
        AssertFixtureParity(RhythmData.Scores(scored));
        var expected = TinyClassifierData.ExpectedProbabilities().Select(p => "abc"[Array.IndexOf(p, p.Max())].ToString()).ToList();
        CollectionAssert.AreEqual(expected, scored.GetColumn<string>("PredictedClass").ToList());
        foreach (var t in model.OfType<IDisposable>()) t.Dispose();
    }

    [TestMethod]
    public void HeadInTheOriginalFineTuningNamesLoadsToo()
    {
        string dir = TempFolder.Create("train").Path;
        Directory.CreateDirectory(dir);
        try
        {
            var (tensors, _) = SafetensorsReader.Read(Fixtures.Weights("tiny"));
            var renamed = tensors.ToDictionary(p => p.Key switch
            {
                var k when k.StartsWith("final_layer.token_proj.0.", StringComparison.Ordinal) => "full_linear." + k["final_layer.token_proj.0.".Length..],
                var k when k.StartsWith("final_layer.time_proj.0.", StringComparison.Ordinal) => "channel_linear." + k["final_layer.time_proj.0.".Length..],
                var k when k.StartsWith("final_layer.classifier.", StringComparison.Ordinal) => k["final_layer.".Length..],
                var k => "encoder." + k,
            }, p => p.Value);
            Assert.IsTrue(renamed.ContainsKey("full_linear.weight") && renamed.ContainsKey("classifier.6.bias"));
            string path = Path.Combine(dir, "finetuned.safetensors");
            SafetensorsWriter.Write(path, renamed);

            var ml = new MLContext(seed: 1);
            IDataView data = TinyClassifierData.Load(ml, TinyClassifierData.FixtureRows());
            using var model = ml.MulticlassClassification.Trainers.EegDino(TinyClassifierData.ScoreOnly(path)).Fit(data);
            AssertFixtureParity(RhythmData.Scores(model.Transform(data)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void HeadWithAnotherNumberOfClassesIsAClearErrorUnlessReinitialised()
    {
        var ml = new MLContext(seed: 1);
        IDataView twoClasses = RhythmData.Load(ml, RhythmData.Rows(8, seed: 1));
        var options = RhythmData.Options(epochs: 1);
        options.InitialHead = EegDinoInitialHead.CheckpointIfPresent;

        var error = Assert.ThrowsExactly<EegDinoException>(() => ml.MulticlassClassification.Trainers.EegDino(options).Fit(twoClasses));
        StringAssert.Contains(error.Message, "3 classes");
        StringAssert.Contains(error.Message, "'Label' has 2");
        StringAssert.Contains(error.Message, "InitialHead = EegDinoInitialHead.Fresh");

        options.InitialHead = EegDinoInitialHead.Fresh;
        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(twoClasses);
        Assert.AreEqual(2, model.Model.NumberOfClasses);
    }

    [TestMethod]
    public void CheckpointHeadRequiredButAbsentIsAClearError()
    {
        string dir = TempFolder.Create("train").Path;
        Directory.CreateDirectory(dir);
        try
        {
            var (tensors, _) = SafetensorsReader.Read(Fixtures.Weights("tiny"));
            string path = Path.Combine(dir, "encoder.safetensors");
            SafetensorsWriter.Write(path, tensors.Where(p => !p.Key.StartsWith("final_layer.", StringComparison.Ordinal)).ToDictionary());
            var ml = new MLContext(seed: 1);
            IDataView data = TinyClassifierData.Load(ml, TinyClassifierData.FixtureRows());
            var options = TinyClassifierData.ScoreOnly(path);
            options.InitialHead = EegDinoInitialHead.Checkpoint;
            var error = Assert.ThrowsExactly<EegDinoModelFormatException>(() => ml.MulticlassClassification.Trainers.EegDino(options).Fit(data));
            StringAssert.Contains(error.Message, "has no classification head");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

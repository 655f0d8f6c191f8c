using Microsoft.ML;

namespace EegDino.ML.Tests.Training;

/// <summary>The trainer learns a separable rhythm problem, head-only and fine-tuning, and reports its history.</summary>
[TestClass]
public sealed class ClassifierLearningTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void HeadOnlyReachesNinetyPercentValidationAccuracyAndTheLossDecreases()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(160, seed: 1));
        IDataView validation = RhythmData.Load(ml, RhythmData.Rows(40, seed: 2));
        var reported = new List<EegDinoEpochSummary>();
        var options = RhythmData.Options(epochs: 30);
        options.EpochCompleted = reported.Add;

        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train, validation);

        var history = model.Model.History;
        foreach (var e in history.Epochs) TestContext.WriteLine(e.ToString());
        CollectionAssert.AreEqual(history.Epochs.ToList(), reported, "EpochCompleted saw every epoch");
        Assert.HasCount(30, history.Epochs);
        Assert.AreEqual(160, history.TrainingRows);
        Assert.AreEqual(40, history.ValidationRows);
        Assert.IsLessThan(history.Epochs[0].TrainingLoss, history.Epochs[^1].TrainingLoss, "training loss decreases");
        Assert.IsGreaterThanOrEqualTo(0.9, history.Epochs[^1].ValidationAccuracy!.Value, "validation accuracy after 30 epochs");

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(validation));
        TestContext.WriteLine($"Evaluate: micro accuracy {metrics.MicroAccuracy:F3}, log loss {metrics.LogLoss:F3}");
        Assert.AreEqual(history.Epochs[^1].ValidationAccuracy!.Value, metrics.MicroAccuracy, 1e-9, "the evaluator agrees with the history");
    }

    [TestMethod]
    public void FineTuningAllLayersAlsoLearns()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(160, seed: 1));
        IDataView validation = RhythmData.Load(ml, RhythmData.Rows(40, seed: 2));
        var options = RhythmData.Options(epochs: 10);
        options.Mode = EegDinoTrainingMode.FineTuneAll;
        options.EncoderLearningRate = 2e-4;

        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train, validation);

        var history = model.Model.History;
        foreach (var e in history.Epochs) TestContext.WriteLine(e.ToString());
        Assert.AreEqual(EegDinoTrainingMode.FineTuneAll, history.Mode);
        Assert.IsLessThan(history.Epochs[0].TrainingLoss, history.Epochs[^1].TrainingLoss, "training loss decreases");
        Assert.IsGreaterThanOrEqualTo(0.9, history.Epochs[^1].ValidationAccuracy!.Value, "validation accuracy after 10 epochs");
    }
}

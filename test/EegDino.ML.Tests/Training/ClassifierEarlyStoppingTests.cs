using Microsoft.ML;

namespace EegDino.ML.Tests.Training;

/// <summary>Early stopping ends training and the model holds the best epoch's weights.</summary>
[TestClass]
public sealed class ClassifierEarlyStoppingTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void StopsAfterThePatienceAndRestoresTheBestEpoch()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(40, seed: 1));
        IDataView validation = RhythmData.Load(ml, RhythmData.Rows(20, seed: 2));
        var options = RhythmData.Options(epochs: 40);
        options.LearningRate = 3e-2; // overfits quickly on 40 rows, so the validation loss turns up
        options.EarlyStopping = EegDinoEarlyStopping.ValidationLoss;
        options.EarlyStoppingPatience = 3;

        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train, validation);

        var history = model.History;
        foreach (var e in history.Epochs) TestContext.WriteLine(e.ToString());
        Assert.IsTrue(history.StoppedEarly, "stopped before 40 epochs");
        int best = history.BestEpoch!.Value;
        Assert.AreEqual(best + 3, history.Epochs.Count, "stopped exactly patience epochs after the best");
        double bestLoss = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.AreEqual(bestLoss, history.Epochs[best - 1].ValidationLoss!.Value);

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(validation));
        Assert.AreEqual(bestLoss, metrics.LogLoss, 1e-4, "the returned model is the best epoch's");
    }
}

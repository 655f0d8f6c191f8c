using Microsoft.ML;

namespace EegDino.ML.Tests.Training;

/// <summary>Same data and same MLContext seed give the same model; the seed is drawn from the MLContext.</summary>
[TestClass]
public sealed class ClassifierDeterminismTests
{
    private static (List<float[]> Scores, int Seed) TrainAndScore(int contextSeed, EegDinoTrainingMode mode)
    {
        var ml = new MLContext(seed: contextSeed);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(40, seed: 1));
        IDataView test = RhythmData.Load(ml, RhythmData.Rows(10, seed: 3));
        var options = RhythmData.Options(epochs: 3);
        options.Seed = null; // from the MLContext
        options.Mode = mode;
        options.NumberOfFineTunedLayers = 1;
        options.EncoderLearningRate = 1e-3;
        options.ValidationFraction = 0.2;
        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train);
        return (RhythmData.Scores(model.Transform(test)), model.Model.History.Seed);
    }

    [TestMethod]
    [DataRow(EegDinoTrainingMode.HeadOnly)]
    [DataRow(EegDinoTrainingMode.FineTuneLastLayers)]
    public void SameMLContextSeedGivesIdenticalPredictions(EegDinoTrainingMode mode)
    {
        var first = TrainAndScore(11, mode);
        var second = TrainAndScore(11, mode);
        Assert.AreEqual(first.Seed, second.Seed);
        for (int i = 0; i < first.Scores.Count; i++) CollectionAssert.AreEqual(first.Scores[i], second.Scores[i], $"row {i}: bit-identical scores");
    }

    [TestMethod]
    public void AnotherMLContextSeedGivesAnotherRun()
    {
        var first = TrainAndScore(11, EegDinoTrainingMode.HeadOnly);
        var other = TrainAndScore(12, EegDinoTrainingMode.HeadOnly);
        Assert.AreNotEqual(first.Seed, other.Seed);
        Assert.IsTrue(first.Scores.Zip(other.Scores).Any(p => !p.First.SequenceEqual(p.Second)), "a different seed should change the fresh head and the model");
    }
}

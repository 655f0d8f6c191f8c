using Microsoft.ML;

namespace EegDino.ML.Tests.Training;

/// <summary>
/// Training in bfloat16 and float16 (float32 master weights and optimiser state, forward and backward in the
/// reduced type, float16 with loss scaling) learns the synthetic rhythm task as well as float32: held-out
/// accuracy within 0.05 of float32's with the same rows, options and seed.
/// </summary>
[TestClass]
public sealed class ClassifierPrecisionTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(EegDinoTrainingMode.HeadOnly, 30)]
    [DataRow(EegDinoTrainingMode.FineTuneAll, 6)]
    public void ReducedPrecisionLearnsAsWellAsFloat32(EegDinoTrainingMode mode, int epochs)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(160, seed: 1));
        IDataView heldOut = RhythmData.Load(ml, RhythmData.Rows(40, seed: 2));

        int skipped = 0;
        ml.Log += (_, e) => { if (e.Message.Contains("skipped (inf or NaN gradients)", StringComparison.Ordinal)) Interlocked.Increment(ref skipped); };
        var accuracy = new Dictionary<EegDinoPrecision, double>();
        foreach (var precision in Enum.GetValues<EegDinoPrecision>())
        {
            var options = RhythmData.Options(epochs);
            options.Mode = mode;
            options.EncoderLearningRate = 2e-4;
            options.Precision = precision;
            using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train);
            Assert.AreEqual(precision, model.Model.Runtime.Options.Precision, "the trained model scores in the training precision");
            var history = model.Model.History;
            Assert.IsLessThan(history.Epochs[0].TrainingLoss, history.Epochs[^1].TrainingLoss, $"{precision}: training loss decreases");
            accuracy[precision] = ml.MulticlassClassification.Evaluate(model.Transform(heldOut)).MicroAccuracy;
            TestContext.WriteLine($"{mode} {precision}: held-out accuracy {accuracy[precision]:F3}, final training loss {history.Epochs[^1].TrainingLoss:F4}, " +
                $"{history.Epochs.Average(e => e.Duration.TotalSeconds):F2} s per epoch, {skipped} float16 steps skipped so far");
        }
        Assert.IsGreaterThanOrEqualTo(0.9, accuracy[EegDinoPrecision.Float32], "float32 learns the task");
        foreach (var precision in new[] { EegDinoPrecision.BFloat16, EegDinoPrecision.Float16 })
            Assert.AreEqual(accuracy[EegDinoPrecision.Float32], accuracy[precision], 0.05, $"{mode} {precision} against Float32");
    }
}

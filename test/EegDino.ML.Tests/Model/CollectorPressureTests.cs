using EegDino.ML.Tests.Training;
using Microsoft.ML;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// Encoding, fine-tuning and ML.NET scoring give the same numbers, without native errors, while
/// another thread forces garbage collections and runs finalizers back to back. A TorchSharp object
/// (scalar or tensor) that nothing keeps reachable during the native call that reads it is freed
/// under libtorch's feet in this setting (see <see cref="EegDino.ML.Model.TorchScalars"/>); this
/// is the failure CI hit once in a fine-tuning test. <see cref="ScalarLifetimeTests"/> rules out the
/// scalar case statically; this test also exercises the tensor lifetimes.
/// </summary>
[TestClass]
public sealed class CollectorPressureTests
{
    [TestMethod]
    public void EncodingTrainingAndScoringAreUnchangedUnderConstantCollection()
    {
        float[] input = Fixtures.Input("tiny", out long[] shape);
        int channels = (int)shape[1];
        using var encoder = TinyEncoder.Load(inputScale: 1f);
        float[] expectedTokens = encoder.EncodeBatch(input, (int)shape[0], channels).Tokens;
        List<float[]> expectedScores = FineTuneAndScore();

        int collections;
        using (var pressure = new CollectorThread())
        {
            for (int i = 0; i < 10; i++)
                CollectionAssert.AreEqual(expectedTokens, encoder.EncodeBatch(input, (int)shape[0], channels).Tokens, $"encoding {i}");
            List<float[]> scores = FineTuneAndScore();
            for (int i = 0; i < scores.Count; i++) CollectionAssert.AreEqual(expectedScores[i], scores[i], $"row {i}");
            collections = pressure.Stop();
        }
        Assert.IsGreaterThan(0, collections, "the collector thread ran during the work");
    }

    private static List<float[]> FineTuneAndScore()
    {
        var ml = new MLContext(seed: 3);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(24, seed: 1));
        IDataView test = RhythmData.Load(ml, RhythmData.Rows(6, seed: 2));
        var options = RhythmData.Options(epochs: 2);
        options.Mode = EegDinoTrainingMode.FineTuneAll;
        options.EncoderLearningRate = 1e-3;
        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train);
        return RhythmData.Scores(model.Transform(test));
    }
}

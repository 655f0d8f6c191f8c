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
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), InputScale = 1f });
        float[] expectedTokens = encoder.EncodeBatch(input, (int)shape[0], channels).Tokens;
        List<float[]> expectedScores = FineTuneAndScore();

        int collections;
        using (var pressure = new CollectorPressure())
        {
            for (int i = 0; i < 10; i++)
                CollectionAssert.AreEqual(expectedTokens, encoder.EncodeBatch(input, (int)shape[0], channels).Tokens, $"encoding {i}");
            List<float[]> scores = FineTuneAndScore();
            for (int i = 0; i < scores.Count; i++) CollectionAssert.AreEqual(expectedScores[i], scores[i], $"row {i}");
            collections = pressure.Stop();
        }
        Assert.IsGreaterThan(20, collections, "the collector thread ran during the work");
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

    /// <summary>A thread that collects and runs finalizers in a loop until stopped.</summary>
    private sealed class CollectorPressure : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private int _collections;

        public CollectorPressure()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    GC.KeepAlive(new byte[4096]);
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    _collections++;
                }
            }) { IsBackground = true, Name = "collector pressure" };
            _thread.Start();
        }

        /// <summary>Stops the thread; returns how many collections it forced.</summary>
        public int Stop()
        {
            _stop = true;
            _thread.Join();
            return _collections;
        }

        public void Dispose() => Stop();
    }
}

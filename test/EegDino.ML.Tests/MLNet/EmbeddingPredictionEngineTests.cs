using Microsoft.ML;

namespace EegDino.ML.Tests.MLNet;

/// <summary>PredictionEngine over the transform: same values as the batched transform; one engine per thread on a shared transformer.</summary>
[TestClass]
public sealed class EmbeddingPredictionEngineTests
{
    [TestMethod]
    public void PredictionsEqualTheTransformOutput()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyModel.Rows(4);
        IDataView data = TinyModel.Load(ml, rows);
        using var transformer = ml.Transforms.EegDinoEmbed(TinyModel.Options(inputScale: 0.01f)).Fit(data);
        var expected = SignalData.ReadEmbeddings(transformer.Transform(data));
        using var engine = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(transformer);

        for (int i = 0; i < rows.Count; i++)
        {
            float[] actual = engine.Predict(new TinySignal { Signal = rows[i].Signal }).Embedding;
            double error = Fixtures.Nrmse(actual, expected[i].Select(v => (double)v).ToArray());
            Assert.IsTrue(error <= 1e-6, $"row {i}: NRMSE {error:E3}");
        }
        // Predicting the same row twice in a row gives the same values (no stale cache).
        float[] again = engine.Predict(new TinySignal { Signal = rows[0].Signal }).Embedding;
        Assert.IsTrue(Fixtures.Nrmse(again, expected[0].Select(v => (double)v).ToArray()) <= 1e-6);
    }

    [TestMethod]
    public void OneEnginePerThreadOnASharedTransformer()
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyModel.Rows(6);
        IDataView data = TinyModel.Load(ml, rows);
        using var transformer = ml.Transforms.EegDinoEmbed(TinyModel.Options(inputScale: 0.01f)).Fit(data);
        var expected = SignalData.ReadEmbeddings(transformer.Transform(data));

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, thread =>
        {
            using var engine = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(transformer);
            for (int repeat = 0; repeat < 3; repeat++)
            {
                for (int i = 0; i < rows.Count; i++)
                {
                    float[] actual = engine.Predict(new TinySignal { Signal = rows[(i + thread) % rows.Count].Signal }).Embedding;
                    double error = Fixtures.Nrmse(actual, expected[(i + thread) % rows.Count].Select(v => (double)v).ToArray());
                    if (!(error <= 1e-6)) failures.Add($"thread {thread} row {i}: NRMSE {error:E3}");
                }
            }
        });
        Assert.IsEmpty(failures, string.Join("; ", failures));
    }

    [TestMethod]
    public void NetworkIsFreedWhenTheCreatorAndEveryEngineHaveDisposedIt()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(1));
        var transformer = SignalData.TinyEstimator(new EegDinoEmbeddingOptions { NumberOfChannels = TinyModel.Channels }).Fit(data);
        var runtime = transformer.Runtime;
        var first = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(transformer);
        var second = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(transformer);

        first.Dispose(); // ML.NET disposes the transformer here
        Assert.IsFalse(runtime.IsFreed);
        Assert.HasCount(40, second.Predict(new TinySignal { Signal = TinyModel.Rows(1)[0].Signal }).Embedding);
        second.Dispose();
        Assert.IsFalse(runtime.IsFreed);
        transformer.Dispose();
        Assert.IsTrue(runtime.IsFreed);
        transformer.Dispose(); // idempotent
    }
}

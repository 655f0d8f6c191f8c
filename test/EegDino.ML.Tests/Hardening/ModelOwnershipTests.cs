using EegDino.ML.Tests.MLNet;
using EegDino.ML.Tests.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Hardening;

/// <summary>
/// ML.NET's PredictionEngine disposes its transformer by default: the model survives its engines,
/// Dispose is idempotent, and a model disposed while an engine lives leaves the engine working.
/// Both transformers, fresh and loaded from a zip.
/// </summary>
[TestClass]
public sealed class ModelOwnershipTests
{
    private static ITransformer Embedding(MLContext ml, IDataView data) =>
        SignalData.TinyEstimator(new EegDinoEmbeddingOptions { NumberOfChannels = TinyModel.Channels }).Fit(data);

    private static ITransformer Classifier(MLContext ml, IDataView data)
    {
        var options = RhythmData.Options(epochs: 1);
        return ml.MulticlassClassification.Trainers.EegDino(options).Fit(data);
    }

    private static ITransformer Reloaded(MLContext ml, ITransformer model, IDataView data)
    {
        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        zip.Position = 0;
        return ml.Model.Load(zip, out _);
    }

    private static void Dispose(ITransformer model) => (model as IDisposable)?.Dispose();

    private static void EngineDisposalLeavesTheModelUsable<TIn, TOut>(MLContext ml, ITransformer model, IDataView data, TIn row)
        where TIn : class where TOut : class, new()
    {
        var before = RowValues(model, data);
        using (var engine = ml.Model.CreatePredictionEngine<TIn, TOut>(model)) engine.Predict(row);
        using (var engine = ml.Model.CreatePredictionEngine<TIn, TOut>(model)) engine.Predict(row);
        CollectionAssert.AreEqual(before, RowValues(model, data), "the model scores the same after its engines were disposed");

        // Disposed while an engine lives: the engine keeps working; then the model is gone.
        var live = ml.Model.CreatePredictionEngine<TIn, TOut>(model);
        Dispose(model);
        live.Predict(row);
        live.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => RowValues(model, data));
        Dispose(model); // idempotent: no exception, no double free
        Dispose(model);
    }

    private static float[] RowValues(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        string column = scored.Schema.GetColumnOrNull("Embedding") is not null ? "Embedding" : "Score";
        return scored.GetColumn<float[]>(column).First();
    }

    [TestMethod]
    public void EmbeddingTransformerFreshAndLoaded()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(2));
        var row = new TinySignal { Signal = TinyModel.Rows(1)[0].Signal };
        var fresh = Embedding(ml, data);
        var loaded = Reloaded(ml, fresh, data);
        EngineDisposalLeavesTheModelUsable<TinySignal, TinyEmbedding>(ml, fresh, data, row);
        EngineDisposalLeavesTheModelUsable<TinySignal, TinyEmbedding>(ml, loaded, data, row);
    }

    [TestMethod]
    public void ClassificationTransformerFreshAndLoaded()
    {
        var ml = new MLContext(seed: 1);
        var rows = RhythmData.Rows(8, seed: 3);
        IDataView data = RhythmData.Load(ml, rows);
        var row = new RhythmSignal { Signal = rows[0].Signal };
        var fresh = Classifier(ml, data);
        var loaded = Reloaded(ml, fresh, data);
        EngineDisposalLeavesTheModelUsable<RhythmSignal, TinyClassifierData.Prediction>(ml, fresh, data, row);
        EngineDisposalLeavesTheModelUsable<RhythmSignal, TinyClassifierData.Prediction>(ml, loaded, data, row);
    }

    [TestMethod]
    public void AnEngineThatDoesNotOwnTheModelLeavesItAlone()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(2));
        var model = (EegDinoEmbeddingTransformer)Embedding(ml, data);
        var runtime = model.Runtime;
        using (var engine = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(model, new PredictionEngineOptions { OwnsTransformer = false }))
            engine.Predict(new TinySignal { Signal = TinyModel.Rows(1)[0].Signal });
        Assert.IsFalse(runtime.IsFreed);
        Assert.HasCount(2, model.Transform(data).GetColumn<float[]>("Embedding").ToArray());
        model.Dispose();
        model.Dispose();
    }

    [TestMethod]
    public void EncoderAndClassifierDisposeTwice()
    {
        var encoder = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });
        encoder.Dispose();
        encoder.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => encoder.Encode(Fixtures.Synthetic(2, 200), 2));
        var classifier = EegDinoClassifier.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });
        classifier.Dispose();
        classifier.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => classifier.PredictLogits(Fixtures.Synthetic(2, 200), 1, 2));
    }
}

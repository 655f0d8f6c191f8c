using Microsoft.Data.Analysis;
using Microsoft.ML;

namespace EegDino.ML.Tests.MLNet;

/// <summary>A DataFrame of signals through the transform, embeddings back as DataFrame columns; and a downstream trainer.</summary>
[TestClass]
public sealed class EmbeddingDataFrameTests
{
    [TestMethod]
    public void DataFrameOfSignalsGetsEmbeddingColumns()
    {
        const int channels = 2, samples = 200;
        var rows = SignalData.Rows(5, channels, samples);
        var frame = new DataFrame(Enumerable.Range(0, channels * samples)
            .Select(k => (DataFrameColumn)new PrimitiveDataFrameColumn<float>($"s{k}", rows.Select(r => r.Signal[k]))));
        frame.Columns.Add(new StringDataFrameColumn("Name", rows.Select(r => r.Name)));

        var ml = new MLContext(seed: 1);
        var options = new EegDinoEmbeddingOptions { NumberOfChannels = channels };
        var pipeline = ml.Transforms.Concatenate("Signal", Enumerable.Range(0, channels * samples).Select(k => $"s{k}").ToArray())
            .Append(SignalData.TinyEstimator(options));
        var model = pipeline.Fit(frame);
        DataFrame result = model.Transform(frame).ToDataFrame("Name", "Embedding");

        Assert.AreEqual(5L, result.Rows.Count);
        var expected = SignalData.ReadEmbeddings(SignalData.TinyEstimator(options).Fit(SignalData.Load(ml, rows, channels * samples))
            .Transform(SignalData.Load(ml, rows, channels * samples)));
        var embedding = result.Columns["Embedding"];
        Assert.IsInstanceOfType<VBufferDataFrameColumn<float>>(embedding);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(rows[i].Name, result.Columns["Name"][i]);
            var value = ((Microsoft.ML.Data.VBuffer<float>)embedding[i]!).DenseValues();
            SignalData.AssertSameEmbedding(expected[i], value.ToArray(), $"row {i}");
        }
    }

    [TestMethod]
    public void TrainerOnTheEmbeddingColumnLearnsTheLabel()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(40));
        var pipeline = ml.Transforms.EegDinoEmbed(TinyModel.Options(inputScale: 0.01f))
            .AppendCacheCheckpoint(ml)
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(labelColumnName: "Label", featureColumnName: "Embedding"));
        var model = pipeline.Fit(data);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(data), labelColumnName: "Label");
        Console.WriteLine($"training accuracy {metrics.Accuracy:F3}, AUC {metrics.AreaUnderRocCurve:F3}");
        // The synthetic classes differ by a +-20 uV offset, which the embedding keeps.
        Assert.IsGreaterThan(0.9, metrics.Accuracy);
        foreach (var disposable in model.OfType<IDisposable>()) disposable.Dispose();
    }
}

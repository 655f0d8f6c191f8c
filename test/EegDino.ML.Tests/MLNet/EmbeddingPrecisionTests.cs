using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>The ML.NET transform honours <see cref="EegDinoEmbeddingOptions.Precision"/>: the batched transform and a PredictionEngine score within the precision's bound of the float32 pipeline.</summary>
[TestClass]
public sealed class EmbeddingPrecisionTests
{
    [TestMethod]
    [DataRow(EegDinoPrecision.BFloat16, 9e-3)]
    [DataRow(EegDinoPrecision.Float16, 1.2e-3)]
    public void AReducedPrecisionPipelineScoresWithinItsBoundOfFloat32(EegDinoPrecision precision, double pooledBound)
    {
        var ml = new MLContext(seed: 1);
        var rows = TinyModel.Rows(4);
        IDataView data = TinyModel.Load(ml, rows);
        using var float32 = ml.Transforms.EegDinoEmbed(TinyModel.Options(inputScale: 0.01f)).Fit(data);
        var options = TinyModel.Options(inputScale: 0.01f);
        options.Precision = precision;
        using var reduced = ml.Transforms.EegDinoEmbed(options).Fit(data);

        Assert.AreEqual(precision, reduced.Precision, "the option reaches the encoder");
        var expected = SignalData.ReadEmbeddings(float32.Transform(data));
        var actual = SignalData.ReadEmbeddings(reduced.Transform(data));
        using var engine = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(reduced);
        for (int i = 0; i < rows.Count; i++)
        {
            double[] reference = expected[i].Select(v => (double)v).ToArray();
            double batched = Fixtures.Nrmse(actual[i], reference);
            double single = Fixtures.Nrmse(engine.Predict(new TinySignal { Signal = rows[i].Signal }).Embedding, reference);
            Console.WriteLine($"{precision} row {i}: NRMSE vs float32 {batched:E2} (transform), {single:E2} (PredictionEngine)");
            Assert.IsLessThanOrEqualTo(pooledBound, batched, $"row {i}, transform");
            Assert.IsLessThanOrEqualTo(pooledBound, single, $"row {i}, PredictionEngine");
            Assert.IsGreaterThan(0, batched, $"row {i}: the reduced pipeline must differ from float32");
        }
    }

    [TestMethod]
    public void ABFloat16PipelineSavesAndLoadsWithItsPrecision()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(3));
        var options = TinyModel.Options(inputScale: 0.01f);
        options.Precision = EegDinoPrecision.BFloat16;
        using var transformer = ml.Transforms.EegDinoEmbed(options).Fit(data);
        var expected = SignalData.ReadEmbeddings(transformer.Transform(data));

        using var zip = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, zip);
        zip.Position = 0;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        var reloaded = loaded as EegDinoEmbeddingTransformer ?? ((TransformerChain<ITransformer>)loaded).OfType<EegDinoEmbeddingTransformer>().Single();
        Assert.AreEqual(EegDinoPrecision.BFloat16, reloaded.Precision);
        var actual = SignalData.ReadEmbeddings(loaded.Transform(data));
        for (int i = 0; i < expected.Count; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"row {i}: the float32 weights and the precision travel unchanged");
        reloaded.Dispose();
    }

    [TestMethod]
    public void AnUnknownPrecisionIsRefusedWhenThePipelineIsBuilt()
    {
        var ml = new MLContext(seed: 1);
        var options = TinyModel.Options();
        options.Precision = (EegDinoPrecision)(-1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.EegDinoEmbed(options));
        StringAssert.Contains(e.Message, "Precision is -1");
        StringAssert.Contains(e.Message, "Float32, BFloat16, Float16");
    }
}

using Microsoft.ML;

namespace EegDino.ML.Tests.MLNet;

/// <summary>The transform with the real network on the tiny fixture: parity with PyTorch's float64 reference, batched vs one row at a time.</summary>
[TestClass]
public sealed class EmbeddingFixtureParityTests
{
    [TestMethod]
    [DataRow(EegDinoEmbeddingKind.PooledMean, "pooled_mean")]
    [DataRow(EegDinoEmbeddingKind.Tokens, "encoder_output")]
    public void TransformOutputMatchesTheFloat64Reference(EegDinoEmbeddingKind kind, string reference)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());
        // Batch size 2 over 3 rows: a full and a partial batch.
        using var transformer = ml.Transforms.EegDinoEmbed(TinyModel.Options(batchSize: 2, kind: kind)).Fit(data);

        float[] actual = TinyModel.Flatten(SignalData.ReadEmbeddings(transformer.Transform(data)));

        double error = Fixtures.Nrmse(actual, Fixtures.Io("tiny")[reference + ".f64"].Data);
        Console.WriteLine($"{kind} vs {reference}.f64: NRMSE {error:E2}");
        Assert.IsTrue(error <= Fixtures.Tolerance, $"NRMSE {error:E3} > {Fixtures.Tolerance:E0}");
    }

    [TestMethod]
    public void GlobalTokenIsTheFirstToken()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());
        using var transformer = ml.Transforms.EegDinoEmbed(TinyModel.Options(kind: EegDinoEmbeddingKind.GlobalToken)).Fit(data);
        var actual = SignalData.ReadEmbeddings(transformer.Transform(data));

        var (shape, tokens) = Fixtures.Io("tiny")["encoder_output.f64"];
        int tokenCount = (int)shape[1], dim = (int)shape[2];
        Assert.AreEqual(dim, transformer.EmbeddingDim);
        for (int b = 0; b < actual.Count; b++)
        {
            double error = Fixtures.Nrmse(actual[b], tokens.AsSpan(b * tokenCount * dim, dim));
            Assert.IsTrue(error <= Fixtures.Tolerance, $"row {b}: NRMSE {error:E3}");
        }
    }

    [TestMethod]
    public void BatchedOutputEqualsOneRowAtATime()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(5));
        using var batched = ml.Transforms.EegDinoEmbed(TinyModel.Options(batchSize: 4, inputScale: 0.01f)).Fit(data);
        using var single = ml.Transforms.EegDinoEmbed(TinyModel.Options(batchSize: 1, inputScale: 0.01f)).Fit(data);

        var expected = SignalData.ReadEmbeddings(single.Transform(data));
        var actual = SignalData.ReadEmbeddings(batched.Transform(data));

        Assert.HasCount(5, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            // Batched matrix products may sum in another order: equal to float32 rounding.
            double error = Fixtures.Nrmse(actual[i], expected[i].Select(v => (double)v).ToArray());
            Assert.IsTrue(error <= 1e-6, $"row {i}: NRMSE {error:E3}");
        }
    }
}

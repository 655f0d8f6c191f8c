using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>The batching cursor (with the tiny fixture network): same values as one row at a time, pass-through, laziness, cursor sets, shuffling.</summary>
[TestClass]
public sealed class EmbeddingCursorTests
{
    private const int Channels = 2, Samples = 450; // 3 patches, the last one padded

    private static (IDataView Data, EegDinoEmbeddingTransformer Transformer, List<int> BatchSizes) Make(
        MLContext ml, int rows, int batchSize, EegDinoEmbeddingKind kind = EegDinoEmbeddingKind.PooledMean)
    {
        IDataView data = SignalData.Load(ml, SignalData.Rows(rows, Channels, Samples), Channels * Samples);
        var options = new EegDinoEmbeddingOptions { NumberOfChannels = Channels, BatchSize = batchSize, OutputKind = kind };
        var transformer = SignalData.TinyEstimator(options).Fit(data);
        return (data, transformer, SignalData.RecordForwardPasses(transformer));
    }

    [TestMethod]
    [DataRow(EegDinoEmbeddingKind.PooledMean)]
    [DataRow(EegDinoEmbeddingKind.GlobalToken)]
    [DataRow(EegDinoEmbeddingKind.Tokens)]
    public void BatchedOutputEqualsOneRowAtATime(EegDinoEmbeddingKind kind)
    {
        var ml = new MLContext(seed: 1);
        var (data, batched, batchSizes) = Make(ml, rows: 37, batchSize: 16, kind);
        var (_, single, _) = Make(ml, rows: 37, batchSize: 1, kind);

        var expected = SignalData.ReadEmbeddings(single.Transform(data));
        var actual = SignalData.ReadEmbeddings(batched.Transform(data));

        Assert.HasCount(37, actual);
        for (int i = 0; i < expected.Count; i++) SignalData.AssertSameEmbedding(expected[i], actual[i], $"row {i}");
        CollectionAssert.AreEqual(new[] { 16, 16, 5 }, batchSizes);
    }

    [TestMethod]
    public void UpstreamColumnsPassThroughUnchanged()
    {
        var ml = new MLContext(seed: 1);
        var (data, transformer, _) = Make(ml, rows: 20, batchSize: 8);
        IDataView result = transformer.Transform(data);

        var ids = result.GetColumn<int>("Id").ToArray();
        var names = result.GetColumn<string>("Name").ToArray();
        var signals = result.GetColumn<float[]>("Signal").ToArray();
        var rows = SignalData.Rows(20, Channels, Samples);
        CollectionAssert.AreEqual(rows.Select(r => r.Id).ToArray(), ids);
        CollectionAssert.AreEqual(rows.Select(r => r.Name).ToArray(), names);
        for (int i = 0; i < rows.Count; i++) CollectionAssert.AreEqual(rows[i].Signal, signals[i]);

        // All columns at once, embedding included: still aligned row by row.
        using var cursor = result.GetRowCursor(result.Schema);
        var idGetter = cursor.GetGetter<int>(result.Schema["Id"]);
        var embeddingGetter = cursor.GetGetter<VBuffer<float>>(result.Schema["Embedding"]);
        var expected = SignalData.ReadEmbeddings(result);
        int id = 0;
        VBuffer<float> embedding = default;
        long position = -1;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(position + 1, cursor.Position);
            position = cursor.Position;
            idGetter(ref id);
            embeddingGetter(ref embedding);
            CollectionAssert.AreEqual(expected[id], embedding.DenseValues().ToArray());
        }
        Assert.AreEqual(19, position);
    }

    [TestMethod]
    public void NoForwardPassWhenTheEmbeddingIsNotRead()
    {
        var ml = new MLContext(seed: 1);
        var (data, transformer, batchSizes) = Make(ml, rows: 20, batchSize: 8);
        IDataView result = transformer.Transform(data);

        Assert.HasCount(20, result.GetColumn<int>("Id").ToArray());
        Assert.IsEmpty(batchSizes);
        Assert.AreEqual(20L, result.GetRowCount());
    }

    [TestMethod]
    public void CursorSetsCoverEveryRowWithTheSameValues()
    {
        var ml = new MLContext(seed: 1);
        var (data, transformer, _) = Make(ml, rows: 50, batchSize: 4);
        IDataView cached = ml.Data.Cache(data);
        IDataView result = transformer.Transform(cached);
        var expected = SignalData.ReadEmbeddings(result);

        var columns = new[] { result.Schema["Id"], result.Schema["Embedding"] };
        var cursors = result.GetRowCursorSet(columns, 2);
        var seen = new Dictionary<int, float[]>();
        foreach (var cursor in cursors)
        {
            using (cursor)
            {
                var idGetter = cursor.GetGetter<int>(columns[0]);
                var embeddingGetter = cursor.GetGetter<VBuffer<float>>(columns[1]);
                int id = 0;
                VBuffer<float> embedding = default;
                while (cursor.MoveNext())
                {
                    idGetter(ref id);
                    embeddingGetter(ref embedding);
                    seen.Add(id, embedding.DenseValues().ToArray());
                }
            }
        }
        Assert.HasCount(50, seen);
        foreach (var (id, embedding) in seen) SignalData.AssertSameEmbedding(expected[id], embedding, $"row {id}");
    }

    [TestMethod]
    public void ShufflingPassesThroughAndKeepsRowsWhole()
    {
        var ml = new MLContext(seed: 1);
        var (data, transformer, _) = Make(ml, rows: 40, batchSize: 16);
        IDataView cached = ml.Data.Cache(data);
        IDataView result = transformer.Transform(cached);
        Assert.AreEqual(cached.CanShuffle, result.CanShuffle);
        var expected = SignalData.ReadEmbeddings(result);

        var columns = new[] { result.Schema["Id"], result.Schema["Embedding"] };
        using var cursor = result.GetRowCursor(columns, new Random(7));
        var idGetter = cursor.GetGetter<int>(columns[0]);
        var embeddingGetter = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var order = new List<int>();
        int id = 0;
        VBuffer<float> embedding = default;
        while (cursor.MoveNext())
        {
            idGetter(ref id);
            embeddingGetter(ref embedding);
            order.Add(id);
            SignalData.AssertSameEmbedding(expected[id], embedding.DenseValues().ToArray(), $"row {id}");
        }
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 40).ToArray(), order);
        if (cached.CanShuffle) CollectionAssert.AreNotEqual(Enumerable.Range(0, 40).ToArray(), order);
    }
}

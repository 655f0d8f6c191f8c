using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>Small in-memory signal tables for the ML.NET tests.</summary>
internal static class SignalData
{
    public sealed class Row
    {
        public float[] Signal { get; set; } = [];
        public int Id { get; set; }
        public string Name { get; set; } = "";
        public bool Label { get; set; }
    }

    /// <summary>Deterministic random rows of <paramref name="channels"/> x <paramref name="samples"/> values (microvolt-like).</summary>
    public static List<Row> Rows(int count, int channels, int samples, int seed = 1)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        for (int i = 0; i < count; i++)
        {
            bool label = i % 2 == 0;
            var signal = new float[channels * samples];
            for (int k = 0; k < signal.Length; k++) signal[k] = (float)((random.NextDouble() - 0.5) * 100 + (label ? 20 : -20));
            rows.Add(new Row { Signal = signal, Id = i, Name = $"row{i}", Label = label });
        }
        return rows;
    }

    /// <summary>The rows as an IDataView whose Signal column is a known-size vector.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<Row> rows, int size)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Signal)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>The embedding column of every row, in order.</summary>
    public static List<float[]> ReadEmbeddings(IDataView data, string column = "Embedding")
    {
        var result = new List<float[]>();
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }
        return result;
    }

    /// <summary>The estimator of <paramref name="options"/> with the tiny fixture model (D = 40) in place of its model.</summary>
    public static EegDinoEmbeddingEstimator TinyEstimator(EegDinoEmbeddingOptions options)
    {
        options.ModelPath = Fixtures.Weights("tiny");
        options.Config = Fixtures.Config("tiny");
        return new(options);
    }

    /// <summary>
    /// Asserts that two embeddings of one row agree to float32 rounding (NRMSE &lt;= 1e-6, the bound the
    /// encoder tests use for batched against one-by-one): the network's matmuls may sum in another
    /// order when the row shares its forward pass with other rows.
    /// </summary>
    public static void AssertSameEmbedding(float[] expected, float[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        double error = Fixtures.Nrmse(actual, expected.Select(v => (double)v).ToArray());
        Assert.IsTrue(error <= 1e-6, $"{what}: NRMSE {error:E2}");
    }

    /// <summary>Records the batch size of every forward pass the transformer's network runs.</summary>
    public static List<int> RecordForwardPasses(EegDinoEmbeddingTransformer transformer)
    {
        var sizes = new List<int>();
        transformer.Runtime.ForwardObserver = b => { lock (sizes) sizes.Add(b); };
        return sizes;
    }
}

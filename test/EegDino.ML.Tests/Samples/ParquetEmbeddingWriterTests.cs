using EegDino.ML.Corpus;
using EegDino.ML.Samples.Embedding;
using Parquet;
using Parquet.Schema;

namespace EegDino.ML.Tests.Samples;

/// <summary><c>eegdino embed</c>'s Parquet table, read back with Parquet.Net's reader: columns, types, values, row groups.</summary>
[TestClass]
public sealed class ParquetEmbeddingWriterTests
{
    private static List<EmbeddingRow> Rows(int count, int dim) => Enumerable.Range(0, count).Select(i => new EmbeddingRow(
        $"rec{i % 3}.edf", i * 2.5, i % 2 == 0 ? "open" : "closed, \"quoted\"", CrossesGap: i % 5 == 0,
        FlatChannels: i % 7 == 0 ? "Fp1;O2" : "", SaturatedChannels: "", Embedding: Enumerable.Range(0, dim).Select(d => i * 1000f + d + 0.25f).ToArray())).ToList();

    private static async Task<Array> ReadColumn(ParquetRowGroupReader group, DataField field)
    {
        int n = checked((int)group.RowCount);
        if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>)) { var v = new string?[n]; await group.ReadAsync(field, v.AsMemory()); return v; }
        if (field.ClrType == typeof(double)) { var v = new double[n]; await group.ReadAsync<double>(field, v.AsMemory()); return v; }
        if (field.ClrType == typeof(bool)) { var v = new bool[n]; await group.ReadAsync<bool>(field, v.AsMemory()); return v; }
        if (field.ClrType == typeof(float)) { var v = new float[n]; await group.ReadAsync<float>(field, v.AsMemory()); return v; }
        throw new AssertFailedException($"column {field.Name} has type {field.ClrType}");
    }

    /// <summary>Every column of every row group, in schema order, values boxed.</summary>
    private static async Task<Dictionary<string, Array>> ReadAll(string path)
    {
        using var stream = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(stream);
        var columns = new Dictionary<string, List<object?>>(StringComparer.Ordinal);
        DataField[] fields = reader.Schema.GetDataFields();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
            foreach (DataField field in fields)
            {
                if (!columns.TryGetValue(field.Name, out var values)) columns[field.Name] = values = [];
                foreach (object? v in await ReadColumn(group, field)) values.Add(v);
            }
        }
        return columns.ToDictionary(c => c.Key, c => (Array)c.Value.ToArray());
    }

    [TestMethod]
    public async Task RowsReadBackWithTheirColumnsAndValues()
    {
        using var folder = TempFolder.Create("parquet");
        string path = folder.File("table.parquet");
        const int dim = 5;
        var rows = Rows(23, dim);
        using (var writer = new ParquetEmbeddingWriter(path, dim))
        {
            writer.WriteRows(rows.Take(10).ToList());
            writer.WriteRows(rows.Skip(10).ToList());
        }

        var table = await ReadAll(path);
        CollectionAssert.AreEqual(
            new[] { "recording", "start_seconds", "label", "flagged", "crosses_gap", "flat_channels", "saturated_channels", "emb_0", "emb_1", "emb_2", "emb_3", "emb_4" },
            table.Keys.ToArray());
        CollectionAssert.AreEqual(rows.Select(r => (object?)r.Recording).ToArray(), table["recording"]);
        CollectionAssert.AreEqual(rows.Select(r => (object?)r.StartSeconds).ToArray(), table["start_seconds"]);
        CollectionAssert.AreEqual(rows.Select(r => (object?)r.Label).ToArray(), table["label"]);
        CollectionAssert.AreEqual(rows.Select(r => (object?)r.Flagged).ToArray(), table["flagged"]);
        CollectionAssert.AreEqual(rows.Select(r => (object?)r.CrossesGap).ToArray(), table["crosses_gap"]);
        CollectionAssert.AreEqual(rows.Select(r => (object?)r.FlatChannels).ToArray(), table["flat_channels"]);
        for (int d = 0; d < dim; d++)
            CollectionAssert.AreEqual(rows.Select(r => (object?)r.Embedding[d]).ToArray(), table[$"emb_{d}"], $"emb_{d}");
        Assert.IsInstanceOfType<float>(table["emb_0"].GetValue(0), "float32 embedding columns");
    }

    [TestMethod]
    public async Task LargeTablesAreSplitIntoRowGroupsWithoutLosingRows()
    {
        using var folder = TempFolder.Create("parquet");
        string path = folder.File("large.parquet");
        const int dim = 1024; // rows are buffered until they hold 8 M values: the first group is written at 9000 rows, the rest on dispose
        var rows = Rows(12_000, dim);
        using (var writer = new ParquetEmbeddingWriter(path, dim))
            for (int start = 0; start < rows.Count; start += 1000) writer.WriteRows(rows.Skip(start).Take(1000).ToList());

        using (var stream = File.OpenRead(path))
        {
            await using ParquetReader reader = await ParquetReader.CreateAsync(stream);
            Assert.AreEqual(2, reader.RowGroupCount);
        }
        var table = await ReadAll(path);
        Assert.HasCount(rows.Count, table["recording"]);
        Assert.AreEqual(rows[^1].Embedding[dim - 1], (float)table[$"emb_{dim - 1}"].GetValue(rows.Count - 1)!);
    }

    [TestMethod]
    public void ARowOfTheWrongWidthIsRefused()
    {
        using var folder = TempFolder.Create("parquet");
        using var writer = new ParquetEmbeddingWriter(folder.File("t.parquet"), 4);
        var e = Assert.ThrowsExactly<ArgumentException>(() => writer.WriteRows(Rows(1, 3)));
        StringAssert.Contains(e.Message, "3 embedding values; the table has 4");
    }
}

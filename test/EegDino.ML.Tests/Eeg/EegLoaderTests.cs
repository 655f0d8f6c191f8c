using EegDino.ML.Eeg;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Eeg;

[TestClass]
public sealed class EegLoaderTests
{
    [TestMethod]
    public void SchemaHasNamedColumnsAndKnownSizeSignal()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = ml.Data.LoadFromEegRecordings([EdfTestWriter.TestData("S001R01.edf")]);
        DataViewSchema s = view.Schema;
        Assert.AreEqual(TextDataViewType.Instance, s[EegDataColumns.Recording].Type);
        Assert.AreEqual(NumberDataViewType.Double, s[EegDataColumns.StartSeconds].Type);
        Assert.AreEqual(TextDataViewType.Instance, s[EegDataColumns.Label].Type);
        var vt = (VectorDataViewType)s[EegDataColumns.Signal].Type;
        Assert.AreEqual(NumberDataViewType.Single, vt.ItemType);
        Assert.IsTrue(vt.IsKnownSize);
        Assert.AreEqual(19 * 2000, vt.Size);
        CollectionAssert.AreEqual(new[] { 19, 2000 }, vt.Dimensions.ToArray());
        Assert.AreEqual(BooleanDataViewType.Instance, s[EegDataColumns.CrossesGap].Type);
        Assert.AreEqual(BooleanDataViewType.Instance, s[EegDataColumns.HasFlatChannel].Type);
        Assert.AreEqual(BooleanDataViewType.Instance, s[EegDataColumns.HasSaturatedChannel].Type);
    }

    private sealed class Row
    {
        public string Recording { get; set; } = "";
        public double StartSeconds { get; set; }
        public string Label { get; set; } = "";
        [VectorType(19 * 2000)]
        public float[] Signal { get; set; } = [];
        public bool CrossesGap { get; set; }
    }

    [TestMethod]
    public void RowsOverSeveralRecordingsMatchTheWindower()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = ml.Data.LoadFromEegRecordings(
            [new EegRecordingSource(EdfTestWriter.TestData("S001R01.edf"), "eyes-open"), new EegRecordingSource(EdfTestWriter.TestData("S001R02.edf"), "eyes-closed"), new EegRecordingSource(EdfTestWriter.TestData("Subject00_2.edf"))],
            new EegLoaderOptions());
        var rows = ml.Data.CreateEnumerable<Row>(view, reuseRowObject: false).ToList();
        // 6 windows + 6 windows (60 s) + 6 windows (62 s at 500 Hz).
        Assert.HasCount(18, rows);
        // Recording labels win; a recording without one is labelled by its annotations (WindowLabels' rule).
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData("Subject00_2.edf"));
        var annotated = Enumerable.Range(0, 6).Select(i => EegDino.ML.Corpus.WindowLabels.Overlapping(reader.Annotations, 10.0 * i, 10.0));
        CollectionAssert.AreEqual(Enumerable.Repeat("eyes-open", 6).Concat(Enumerable.Repeat("eyes-closed", 6)).Concat(annotated).ToArray(), rows.Select(r => r.Label).ToArray());
        Assert.AreEqual("Subject00_2.edf", rows[12].Recording);
        Assert.AreEqual(30.0, rows[15].StartSeconds, 1e-9);

        EegWindow w = new EegWindower().GetWindows(reader, new MontageMapper().Map(reader.Signals)).ElementAt(3);
        CollectionAssert.AreEqual(w.Signal, rows[15].Signal);
    }

    /// <summary>The loader streams (no row count, no random access); ML.NET's ShuffleRows still shuffles it, losing nothing.</summary>
    [TestMethod]
    public void MLNetShuffleRowsShufflesTheStreamWithoutLosingRows()
    {
        var ml = new MLContext(seed: 1);
        IDataView view = ml.Data.LoadFromEegRecordings(
            [new EegRecordingSource(EdfTestWriter.TestData("S001R01.edf"), "eyes-open"), new EegRecordingSource(EdfTestWriter.TestData("S001R02.edf"), "eyes-closed")],
            new EegLoaderOptions());
        Assert.IsFalse(view.CanShuffle);
        Assert.IsNull(view.GetRowCount());

        static string[] Keys(MLContext ml, IDataView v) =>
            ml.Data.CreateEnumerable<Row>(v, reuseRowObject: false).Select(r => $"{r.Label}@{r.StartSeconds}:{r.Signal.Sum():R}").ToArray();
        string[] original = Keys(ml, view);
        string[] shuffled = Keys(ml, ml.Data.ShuffleRows(view, seed: 3));

        Assert.HasCount(12, original);
        CollectionAssert.AreEquivalent(original, shuffled, "the same windows");
        CollectionAssert.AreNotEqual(original, shuffled, "in another order");
    }

    [TestMethod]
    public void FolderIsExpandedAndColumnsCanBeReadByCursor()
    {
        var ml = new MLContext(seed: 1);
        string folder = TempFolder.Create("loader").Path;
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "b.edf"), EdfTestWriter.TenTwenty(256, 12, prefix: "", suffix: ""));
            File.WriteAllBytes(Path.Combine(folder, "a.edf"), EdfTestWriter.TenTwenty(250, 25));
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "ignored");
            IDataView view = ml.Data.LoadFromEegRecordings([folder], windowSeconds: 5, strideSeconds: 5);
            var names = view.GetColumn<string>(EegDataColumns.Recording).ToList();
            CollectionAssert.AreEqual(new[] { "a.edf", "a.edf", "a.edf", "a.edf", "a.edf", "b.edf", "b.edf" }, names);
            using DataViewRowCursor cursor = view.GetRowCursor(view.Schema.Where(c => c.Name == EegDataColumns.Signal));
            ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(view.Schema[EegDataColumns.Signal]);
            VBuffer<float> buffer = default;
            Assert.IsTrue(cursor.MoveNext());
            get(ref buffer);
            Assert.AreEqual(19 * 1000, buffer.Length);
            // Channel 0 (Fp1) carries a 1 Hz sine of 50 uV: its peak is near 50 uV.
            float peak = buffer.DenseValues().Take(1000).Max();
            Assert.AreEqual(50f, peak, 0.5f);
            Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<VBuffer<float>>(view.Schema[EegDataColumns.Label]));
        }
        finally { Directory.Delete(folder, true); }
    }

    [TestMethod]
    public void MissingChannelsFailUnlessOnlyPresentChannelsAreUsed()
    {
        var ml = new MLContext(seed: 1);
        byte[] three = EdfTestWriter.Write(
            new[] { "Fp1", "Cz", "O2" }.Select(n => new TestSignal(n, "uV", -3276.8, 3276.7, -32768, 32767, 200, i => (int)(i % 50))).ToList(), 10);
        string path = EdfTestWriter.TempFile(three);
        try
        {
            Assert.ThrowsExactly<EegMontageException>(() => ml.Data.LoadFromEegRecordings([path]));
            IDataView view = ml.Data.LoadFromEegRecordings([path], windowSeconds: 5, useOnlyPresentChannels: true);
            Assert.AreEqual(3 * 1000, ((VectorDataViewType)view.Schema[EegDataColumns.Signal].Type).Size);
            Assert.AreEqual(2, view.GetColumn<double>(EegDataColumns.StartSeconds).Count());
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void MissingFileIsReported()
    {
        var ml = new MLContext(seed: 1);
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Data.LoadFromEegRecordings(["/nonexistent/x.edf"]));
    }
}

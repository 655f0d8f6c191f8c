using EegDino.ML.Eeg;
using Microsoft.ML;

namespace EegDino.ML.Tests.Eeg;

/// <summary>Unreadable recordings in the middle of a corpus: an error by default, or skipped and reported.</summary>
[TestClass]
public sealed class EegLoaderSkippingTests
{
    private static string _folder = null!;
    private static string _good = null!, _truncated = null!, _missing = null!, _other = null!;

    [ClassInitialize]
    public static void MakeFiles(TestContext _)
    {
        _folder = TempFolder.Create("loader-skip").Path;
        Directory.CreateDirectory(_folder);
        _good = EdfTestWriter.TestData("S001R01.edf");
        _other = EdfTestWriter.TestData("S001R02.edf");
        byte[] bytes = File.ReadAllBytes(_good);
        _truncated = Path.Combine(_folder, "truncated.edf");
        File.WriteAllBytes(_truncated, bytes[..(bytes.Length / 2)]);
        _missing = Path.Combine(_folder, "does-not-exist.edf");
    }

    private static long CountRows(IDataView view)
    {
        long rows = 0;
        using var cursor = view.GetRowCursor(view.Schema);
        while (cursor.MoveNext()) rows++;
        return rows;
    }

    private static IDataView Load(bool skip, List<string>? skipped = null) => new MLContext(seed: 1).Data.LoadFromEegRecordings(
        [new EegRecordingSource(_good), new EegRecordingSource(_truncated), new EegRecordingSource(_missing), new EegRecordingSource(_other)],
        new EegLoaderOptions { SkipUnreadableRecordings = skip, RecordingSkipped = skip ? (path, _) => skipped!.Add(path) : null });

    [TestMethod]
    public void ByDefaultAnUnreadableRecordingStopsTheRead() =>
        Assert.ThrowsExactly<EdfFormatException>(() => CountRows(Load(skip: false)));

    [TestMethod]
    public void WithTheOptionUnreadableRecordingsAreSkippedAndReported()
    {
        var skipped = new List<string>();
        long rows = CountRows(Load(skip: true, skipped));
        long expected = CountRows(new MLContext().Data.LoadFromEegRecordings([_good, _other]));
        Assert.AreEqual(expected, rows, "every window of the two readable recordings, none of the others");
        CollectionAssert.AreEqual(new[] { _truncated, _missing }, skipped);
    }
}

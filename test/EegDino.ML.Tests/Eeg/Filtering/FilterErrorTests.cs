using EegDino.ML.Eeg;
using Microsoft.ML;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>
/// Options that cannot be applied to a recording fail with an <see cref="EegFilterException"/> that
/// names the recording, its sampling rate and the value, when the windows are asked for (and, through
/// the ML.NET loader, when the view is created from the first recording).
/// </summary>
[TestClass]
public sealed class FilterErrorTests
{
    private static EegFilterException Fails(string file, EegFilterOptions filters)
    {
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData(file));
        MontageMapping mapping = new MontageMapper().Map(reader.Signals);
        return Assert.ThrowsExactly<EegFilterException>(() => new EegWindower().GetWindows(reader, mapping, filters));
    }

    [TestMethod]
    [DataRow(80.0)]
    [DataRow(95.5)]
    public void LowPassAtOrAboveNyquist(double hFreq)
    {
        var e = Fails("S001R01.edf", new EegFilterOptions { HighFrequencyHz = hFreq });
        StringAssert.Contains(e.Message, "S001R01.edf (160 Hz");
        StringAssert.Contains(e.Message, $"h_freq is {hFreq.ToString(System.Globalization.CultureInfo.InvariantCulture)} Hz");
        StringAssert.Contains(e.Message, "Nyquist frequency 80 Hz");
    }

    [TestMethod]
    public void HighPassAtNyquistAndNotchNearIt()
    {
        StringAssert.Contains(Fails("S001R01.edf", new EegFilterOptions { LowFrequencyHz = 80 }).Message, "l_freq is 80 Hz, at or above the Nyquist frequency 80 Hz");
        var notch = Fails("S001R01.edf", new EegFilterOptions { NotchFrequenciesHz = [79.8] });
        StringAssert.Contains(notch.Message, "notch at 79.8 Hz reaches");
        StringAssert.Contains(notch.Message, "160 Hz recording");
        StringAssert.Contains(Fails("S001R01.edf", new EegFilterOptions { BandStop = new EegBandStop(30, 85) }).Message, "upper edge is 85 Hz");
    }

    [TestMethod]
    public void LowPassWithATransitionPastNyquist()
    {
        var e = Fails("Subject00_2.edf", new EegFilterOptions { HighFrequencyHz = 240, HighTransitionBandwidthHz = 20 });
        StringAssert.Contains(e.Message, "Subject00_2.edf (500 Hz");
        StringAssert.Contains(e.Message, "stop at 260 Hz, above the Nyquist frequency 250 Hz");
    }

    [TestMethod]
    public void LowFrequencyNotBelowHighFrequency()
    {
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData("S001R01.edf"));
        MontageMapping mapping = new MontageMapper().Map(reader.Signals);
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            new EegWindower().GetWindows(reader, mapping, new EegFilterOptions { LowFrequencyHz = 40, HighFrequencyHz = 1 }));
        StringAssert.Contains(e.Message, "is 40 Hz");
        StringAssert.Contains(e.Message, "1 Hz");
        // The design itself refuses it too, naming the rate.
        var d = Assert.ThrowsExactly<EegFilterException>(() => FirFilterDesign.Pass(160, 40, 1, null, null, 10_000, "S001R01.edf (160 Hz, 9760 samples)"));
        StringAssert.Contains(d.Message, "160 Hz");
        StringAssert.Contains(d.Message, "l_freq is 40 Hz and h_freq 1 Hz");
    }

    [TestMethod]
    public void FilterLongerThanTheRecording()
    {
        // l_freq 0.01 Hz: transition 0.01 Hz, 3.3 / 0.01 x 160 = 52,800 taps for 9,760 samples.
        var e = Fails("S001R01.edf", new EegFilterOptions { LowFrequencyHz = 0.01 });
        StringAssert.Contains(e.Message, "S001R01.edf (160 Hz, 9760 samples)");
        StringAssert.Contains(e.Message, "needs 52801 taps (330.00625 s at 160 Hz), more than the recording's 9760 samples");
        // A filter of exactly the recording's length is accepted (MNE warns only when it is longer).
        FirFilterDesign.Pass(160, 0.5, null, null, null, 1057, "test");
        Assert.ThrowsExactly<EegFilterException>(() => FirFilterDesign.Pass(160, 0.5, null, null, null, 1056, "test"));
    }

    [TestMethod]
    public void BandStopThatMneCannotBuild()
    {
        var e = Fails("S001R01.edf", new EegFilterOptions { BandStop = new EegBandStop(45, 55) });
        StringAssert.Contains(e.Message, "pass and stop bands overlap");
        StringAssert.Contains(e.Message, "45/55");
    }

    [TestMethod]
    public void NotchTooLowEvenWithHarmonics()
    {
        // 1e-9 Hz would have 2.5e11 harmonics below 250 Hz: refused before they are counted.
        var e = Fails("Subject00_2.edf", new EegFilterOptions { NotchFrequenciesHz = [1e-9], NotchHarmonics = true });
        StringAssert.Contains(e.Message, "must stay above 0 Hz");
        StringAssert.Contains(e.Message, "Subject00_2.edf (500 Hz");
    }

    [TestMethod]
    public void NotchesThatOverlap()
    {
        var e = Fails("Subject00_2.edf", new EegFilterOptions { NotchFrequenciesHz = [50, 50.5] });
        StringAssert.Contains(e.Message, "notch cannot be built");
    }

    [TestMethod]
    public void LinkedEarsWithoutEarElectrodes()
    {
        // eegmmidb has no ear electrodes; eegmat has only the bipolar A2-A1, which is not an ear electrode.
        StringAssert.Contains(Fails("S001R01.edf", new EegFilterOptions { Reference = EegReference.LinkedEars }).Message, "has none of them");
        var e = Fails("Subject00_2.edf", new EegFilterOptions { Reference = EegReference.LinkedEars });
        StringAssert.Contains(e.Message, "needs A1 and A2 (or M1 and M2)");
        StringAssert.Contains(e.Message, "EEG A2-A1");
    }

    [TestMethod]
    public void TheLoaderFailsAtCreationAndCanSkipTheRecording()
    {
        var ml = new MLContext(seed: 1);
        var bad = new EegFilterOptions { HighFrequencyHz = 100 }; // fine at 500 Hz, above 80 Hz Nyquist at 160 Hz
        Assert.ThrowsExactly<EegFilterException>(() => ml.Data.LoadFromEegRecordings(
            [new EegRecordingSource(EdfTestWriter.TestData("S001R01.edf"))],
            new EegLoaderOptions { Filters = bad, Windows = new EegWindowOptions { TargetSamplesPerSecond = 200 } }));

        var skipped = new List<string>();
        IDataView view = ml.Data.LoadFromEegRecordings(
            [new EegRecordingSource(EdfTestWriter.TestData("Subject00_2.edf")), new EegRecordingSource(EdfTestWriter.TestData("S001R01.edf"))],
            new EegLoaderOptions { Filters = bad, SkipUnreadableRecordings = true, RecordingSkipped = (path, e) => skipped.Add($"{Path.GetFileName(path)}: {e.GetType().Name}") });
        int rows = 0;
        using (var cursor = view.GetRowCursor([]))
            while (cursor.MoveNext()) rows++;
        Assert.AreEqual(6, rows, "Subject00_2.edf: 62 s gives six 10 s windows");
        CollectionAssert.AreEqual(new[] { "S001R01.edf: EegFilterException" }, skipped);
    }
}

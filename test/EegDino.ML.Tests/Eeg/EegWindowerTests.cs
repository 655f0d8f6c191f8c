using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg;

[TestClass]
public sealed class EegWindowerTests
{
    [TestMethod]
    public void FixedWindowsOfRealRecordingEqualWholeFileResampling()
    {
        using EdfReader r = EdfReader.Open(EdfTestWriter.TestData("S001R01.edf"));
        MontageMapping m = new MontageMapper().Map(r.Signals);
        var windows = new EegWindower().GetWindows(r, m).ToList();
        // 9760 samples at 160 Hz -> 12200 at 200 Hz -> six whole 10 s windows.
        Assert.HasCount(6, windows);
        float[][] raw = r.ReadMicrovolts(m.SourceIndexes, 0, 9760);
        var rs = new EegResampler(160, 200);
        float[][] whole = raw.Select(c => rs.Resample(c)).ToArray();
        for (int w = 0; w < windows.Count; w++)
        {
            EegWindow win = windows[w];
            Assert.AreEqual(19, win.Channels.Count);
            Assert.AreEqual(2000, win.NumberOfSamples);
            Assert.AreEqual(10.0 * w, win.StartSeconds, 1e-9);
            Assert.AreEqual(200.0, win.SamplesPerSecond);
            Assert.IsNull(win.Label);
            Assert.IsFalse(win.IsFlagged, $"window {w}: flat {string.Join(",", win.FlatChannels)} saturated {string.Join(",", win.SaturatedChannels)}");
            for (int c = 0; c < 19; c++)
                CollectionAssert.AreEqual(whole[c].Skip(2000 * w).Take(2000).ToArray(), win.Signal.Skip(2000 * c).Take(2000).ToArray(), $"window {w} channel {c}");
        }
    }

    [TestMethod]
    public void StrideAndNoResampleOptionsApply()
    {
        using EdfReader r = EdfReader.Open(EdfTestWriter.TestData("Subject00_2.edf"));
        MontageMapping m = new MontageMapper().Map(r.Signals);
        var windows = new EegWindower(new EegWindowOptions { WindowSeconds = 4, StrideSeconds = 2, TargetSamplesPerSecond = null }).GetWindows(r, m).ToList();
        Assert.HasCount(30, windows); // 62 s: starts 0, 2, ..., 58
        Assert.AreEqual(500.0, windows[0].SamplesPerSecond);
        Assert.AreEqual(2000, windows[0].NumberOfSamples);
        float[] direct = r.ReadMicrovolts([m.SourceIndexes[5]], 1000, 2000)[0];
        CollectionAssert.AreEqual(direct, windows[1].Signal.Skip(5 * 2000).Take(2000).ToArray());
    }

    [TestMethod]
    public void AnnotationWindowsTakeLabelsFromAnnotations()
    {
        byte[] bytes = EdfTestWriter.TenTwenty(256, 30, annotations: [(0, 4.2, "T0"), (4.2, 4.1, "T1"), (8.3, 4.2, "T2"), (12.5, 8.5, "T0"), (28, 4, "T1")]);
        string path = EdfTestWriter.TempFile(bytes);
        try
        {
            using EdfReader r = EdfReader.Open(path);
            MontageMapping m = new MontageMapper().Map(r.Signals);
            var opts = new EegWindowOptions { Mode = EegWindowMode.Annotations, WindowSeconds = 4, StrideSeconds = 4, AnnotationLabels = ["T0", "t2"] };
            var windows = new EegWindower(opts).GetWindows(r, m).ToList();
            // T0@0 (1), T2@8.3 (1), T0@12.5 lasting 8.5 s (2: 12.5 and 16.5); T1 filtered out.
            CollectionAssert.AreEqual(new[] { "T0", "T2", "T0", "T0" }, windows.Select(w => w.Label).ToArray());
            CollectionAssert.AreEqual(new[] { 0, 8.3, 12.5, 16.5 }, windows.Select(w => Math.Round(w.StartSeconds, 3)).ToArray());
            Assert.AreEqual(800, windows[0].NumberOfSamples);
            opts.AnnotationLabels = null;
            // The T1 at 28 s would end after the recording (30 s): dropped.
            Assert.HasCount(5, new EegWindower(opts).GetWindows(r, m).ToList());
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void FlatAndSaturatedChannelsAreFlagged()
    {
        // Channel 0 flat (constant), channel 1 stuck at the digital maximum in the second 10 s.
        byte[] bytes = EdfTestWriter.TenTwenty(250, 20, digital: (c, i) => c switch
        {
            0 => 7,
            1 => i >= 2500 + 300 ? 32767 : (int)(300 * Math.Sin(i * 0.1)),
            _ => (int)(400 * Math.Sin(i * 0.05 * (c + 1))),
        });
        string path = EdfTestWriter.TempFile(bytes);
        try
        {
            using EdfReader r = EdfReader.Open(path);
            MontageMapping m = new MontageMapper().Map(r.Signals);
            var w = new EegWindower().GetWindows(r, m).ToList();
            Assert.HasCount(2, w);
            CollectionAssert.AreEqual(new[] { "Fp1" }, w[0].FlatChannels.ToArray());
            Assert.IsEmpty(w[0].SaturatedChannels);
            CollectionAssert.AreEqual(new[] { "Fp2" }, w[1].SaturatedChannels.ToArray());
            Assert.IsTrue(w[1].IsFlagged);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void WindowsAcrossAGapAreFlagged()
    {
        string[] names = ["Fp1", "Fp2"];
        var sigs = names.Select(n => new TestSignal(n, "uV", -3276.8, 3276.7, -32768, 32767, 200, i => (int)(i % 97 * 10))).ToList();
        double[] onsets = [0, 1, 2, 3, 10, 11, 12, 13];
        byte[] bytes = EdfTestWriter.Write(sigs, 8, 1, "EDF+D", recordOnsets: onsets);
        string path = EdfTestWriter.TempFile(bytes);
        try
        {
            using EdfReader r = EdfReader.Open(path);
            MontageMapping m = new MontageMapper(new MontageOptions { ChannelOrder = ["Fp1", "Fp2"] }).Map(r.Signals);
            var w = new EegWindower(new EegWindowOptions { WindowSeconds = 2, StrideSeconds = 1 }).GetWindows(r, m).ToList();
            Assert.HasCount(7, w);
            CollectionAssert.AreEqual(new[] { false, false, false, true, false, false, false }, w.Select(x => x.CrossesGap).ToArray());
            CollectionAssert.AreEqual(new[] { 0.0, 1, 2, 3, 10, 11, 12 }, w.Select(x => x.StartSeconds).ToArray());
        }
        finally { File.Delete(path); }
    }
}

using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>
/// Re-referencing on a synthetic recording whose every signal is known: which signals form each
/// reference, and that each montage channel becomes itself minus their mean (the MNE rule is checked
/// on the real recordings in <see cref="MneFilterParityTests"/>).
/// </summary>
[TestClass]
public sealed class ReferenceTests
{
    private static readonly string[] Montage = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"];

    /// <summary>19 EEG electrodes, both ears, a bipolar ear derivation, an extra EEG electrode, ECG (mV), a non-voltage signal and a trigger.</summary>
    private static string WriteRecording()
    {
        int rate = 100;
        int Wave(int seed, long i) => (int)Math.Round(400 * Math.Sin(2 * Math.PI * (seed % 7 + 1) * i / rate + seed) + 37 * seed);
        var signals = Montage.Select((n, c) => new TestSignal($"EEG {n}-REF", "uV", -3276.8, 3276.7, -32768, 32767, rate, i => Wave(c, i))).ToList();
        signals.Add(new TestSignal("EEG A1-REF", "uV", -3276.8, 3276.7, -32768, 32767, rate, i => Wave(40, i)));
        signals.Add(new TestSignal("EEG A2-REF", "uV", -3276.8, 3276.7, -32768, 32767, rate, i => Wave(41, i)));
        signals.Add(new TestSignal("EEG A2-A1", "uV", -3276.8, 3276.7, -32768, 32767, rate, i => Wave(42, i)));
        signals.Add(new TestSignal("EEG Oz-REF", "uV", -3276.8, 3276.7, -32768, 32767, rate, i => Wave(43, i)));
        signals.Add(new TestSignal("ECG EKG", "mV", -3.2768, 3.2767, -32768, 32767, rate, i => Wave(44, i)));
        signals.Add(new TestSignal("Pleth", "%", -100, 100, -32768, 32767, rate, i => Wave(45, i)));
        signals.Add(new TestSignal("Status", "uV", -3276.8, 3276.7, -32768, 32767, rate, i => Wave(46, i)));
        return EdfTestWriter.TempFile(EdfTestWriter.Write(signals, records: 12));
    }

    [TestMethod]
    [DataRow(EegReference.Average, new[] { "EEG A1-REF", "EEG A2-REF", "EEG A2-A1", "EEG Oz-REF" })]
    [DataRow(EegReference.MontageAverage, new string[0])]
    [DataRow(EegReference.LinkedEars, new[] { "EEG A1-REF", "EEG A2-REF" })]
    public void EachChannelMinusTheMeanOfTheReference(EegReference reference, string[] extra)
    {
        string path = WriteRecording();
        try
        {
            using EdfReader reader = EdfReader.Open(path);
            MontageMapping mapping = new MontageMapper().Map(reader.Signals);
            string[] expectedReference = reference == EegReference.LinkedEars
                ? extra
                : Montage.Select(n => $"EEG {n}-REF").Concat(extra).ToArray();
            int[] refIndexes = ReferenceSignals.Select(reader.Signals, mapping, reference, "test");
            CollectionAssert.AreEquivalent(expectedReference, refIndexes.Select(i => reader.Signals[i].Label).ToArray());

            int n = (int)reader.SampleCount(0);
            float[][] all = reader.ReadMicrovolts(refIndexes, 0, n);
            float[][] channels = reader.ReadMicrovolts(mapping.SourceIndexes, 0, n);
            var windower = new EegWindower(new EegWindowOptions { WindowSeconds = 12, StrideSeconds = 12, TargetSamplesPerSecond = null });
            EegWindow w = windower.GetWindows(reader, mapping, new EegFilterOptions { Reference = reference }).Single();
            for (int c = 0; c < channels.Length; c++)
            {
                for (int i = 0; i < n; i++)
                {
                    double mean = all.Average(s => (double)s[i]);
                    Assert.AreEqual(channels[c][i] - mean, w.Signal[c * n + i], 1e-3, $"{mapping.Channels[c]} sample {i}");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow("EEG Fp1", true)]
    [DataRow("Fp1.", true)]
    [DataRow("EEG A2-A1", true)]
    [DataRow("A1", true)]
    [DataRow("ECG ECG", false)]
    [DataRow("EOG left", false)]
    [DataRow("emg chin", false)]
    [DataRow("RESP abdomen", false)]
    [DataRow("SaO2 finger", false)]
    [DataRow("Status", false)]
    [DataRow("TRIGGER", false)]
    [DataRow("ECG", true)] // no type word followed by a name: MNE reads it as EEG too
    public void EegSignalsFollowMnesInferTypes(string label, bool eeg) =>
        Assert.AreEqual(eeg, ReferenceSignals.IsEeg(label), label);

    [TestMethod]
    [DataRow("A1", "A1", true)]
    [DataRow("EEG A1-REF", "A1", true)]
    [DataRow("A1..", "A1", true)]
    [DataRow("EEG_M2", "M2", true)]
    [DataRow("POL A2-LE", "A2", true)]
    [DataRow("EEG A2-A1", "A2", false)]
    [DataRow("A1-A2", "A1", false)]
    [DataRow("A1-Cz", "A1", false)]
    [DataRow("EEG Fp1-A1", "A1", false)]
    public void EarElectrodesAreMonopolarSignals(string label, string ear, bool found)
    {
        var signal = new EdfSignal(0, label, "", "uV", -1, 1, -32768, 32767, "", 100, 100, false, 1);
        Assert.AreEqual(found, ReferenceSignals.FindEar([signal], ear) is not null, label);
    }
}

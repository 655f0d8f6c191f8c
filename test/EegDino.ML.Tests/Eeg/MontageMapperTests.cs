using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg;

[TestClass]
public sealed class MontageMapperTests
{
    [TestMethod]
    [DataRow("EEG Fp1-REF", "FP1")]
    [DataRow("Fp1.", "FP1")]
    [DataRow("FP1", "FP1")]
    [DataRow("  eeg fp1-le ", "FP1")]
    [DataRow("T7", "T3")]
    [DataRow("T8..", "T4")]
    [DataRow("EEG P7-REF", "T5")]
    [DataRow("p8", "T6")]
    [DataRow("Fz..", "FZ")]
    [DataRow("EEG A2-A1", "A2")]
    [DataRow("POL O2-AVG", "O2")]
    [DataRow("EEG", "EEG")]
    public void LabelsAreNormalised(string label, string expected) => Assert.AreEqual(expected, MontageMapper.NormalizeLabel(label));

    [TestMethod]
    public void EegmmidbMapsAllNineteenAndDropsTheRest()
    {
        using EdfReader r = EdfReader.Open(EdfTestWriter.TestData("S001R01.edf"));
        MontageMapping m = new MontageMapper().Map(r.Signals);
        CollectionAssert.AreEqual(MontageMapper.DefaultChannelOrder.ToArray(), m.Channels.ToArray());
        CollectionAssert.AreEqual(new[] { "Fp1.", "Fp2.", "F3..", "F4..", "C3..", "C4..", "P3..", "P4..", "O1..", "O2..", "F7..", "F8..", "T7..", "T8..", "P7..", "P8..", "Fz..", "Cz..", "Pz.." }, m.SourceLabels.ToArray());
        Assert.IsEmpty(m.Missing);
        Assert.HasCount(45, m.Dropped);
        Assert.DoesNotContain("EDF Annotations", m.Dropped);
        Console.WriteLine(m.Describe());
    }

    [TestMethod]
    public void EegmatMapsAllNineteenAndDropsReferenceAndEcg()
    {
        using EdfReader r = EdfReader.Open(EdfTestWriter.TestData("Subject00_2.edf"));
        MontageMapping m = new MontageMapper().Map(r.Signals);
        Assert.AreEqual("EEG Fp1", m.SourceLabels[0]);
        Assert.AreEqual("EEG T3", m.SourceLabels[12]);
        Assert.AreEqual("EEG Pz", m.SourceLabels[18]);
        CollectionAssert.AreEqual(new[] { "EEG A2-A1", "ECG ECG" }, m.Dropped.ToArray());
    }

    private static List<EdfSignal> Signals(params string[] labels) =>
        labels.Select((l, i) => new EdfSignal(i, l, "", "uV", -1, 1, -1, 1, "", 1, 1, false, 1)).ToList();

    [TestMethod]
    public void MissingChannelIsAnErrorListingThem()
    {
        var e = Assert.ThrowsExactly<EegMontageException>(() => new MontageMapper().Map(Signals("Fp1", "Fp2", "Cz")));
        StringAssert.Contains(e.Message, "lacks 16 of the 19");
        StringAssert.Contains(e.Message, "F3, F4");
    }

    [TestMethod]
    public void OnlyPresentChannelsFillTheFirstSlots()
    {
        MontageMapping m = new MontageMapper(new MontageOptions { UseOnlyPresentChannels = true }).Map(Signals("Cz", "X1", "EEG Fp2-REF", "T8"));
        CollectionAssert.AreEqual(new[] { "Fp2", "T4", "Cz" }, m.Channels.ToArray());
        CollectionAssert.AreEqual(new[] { 2, 3, 0 }, m.SourceIndexes.ToArray());
        Assert.HasCount(16, m.Missing);
        CollectionAssert.AreEqual(new[] { "X1" }, m.Dropped.ToArray());
    }

    [TestMethod]
    public void ExplicitMappingOverridesAndIsChecked()
    {
        var opts = new MontageOptions
        {
            ChannelOrder = ["Fp1", "Cz"],
            ExplicitMapping = new Dictionary<string, string> { ["Cz"] = "Vertex" },
        };
        MontageMapping m = new MontageMapper(opts).Map(Signals("Cz", "Vertex", "Fp1"));
        CollectionAssert.AreEqual(new[] { 2, 1 }, m.SourceIndexes.ToArray());
        CollectionAssert.AreEqual(new[] { "Cz" }, m.Dropped.ToArray());
        opts.ExplicitMapping = new Dictionary<string, string> { ["Cz"] = "Nope" };
        StringAssert.Contains(Assert.ThrowsExactly<EegMontageException>(() => new MontageMapper(opts).Map(Signals("Cz", "Fp1"))).Message, "'Nope'");
        opts.ExplicitMapping = new Dictionary<string, string> { ["Oz"] = "Cz" };
        Assert.ThrowsExactly<ArgumentException>(() => new MontageMapper(opts));
    }

    [TestMethod]
    public void TwoSignalsForOneElectrodeAreAnError()
    {
        var e = Assert.ThrowsExactly<EegMontageException>(() =>
            new MontageMapper(new MontageOptions { UseOnlyPresentChannels = true }).Map(Signals("EEG Fp1-REF", "EEG Fp1-LE")));
        StringAssert.Contains(e.Message, "both map to electrode FP1");
    }
}

using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>The options as a value: checks on set, equality, and the invariant text form that a model or a run's settings store.</summary>
[TestClass]
public sealed class EegFilterOptionsTests
{
    private static readonly EegFilterOptions Full = new()
    {
        Reference = EegReference.LinkedEars,
        LowFrequencyHz = 0.5,
        HighFrequencyHz = 40,
        LowTransitionBandwidthHz = 0.25,
        HighTransitionBandwidthHz = 10.000000000000002,
        NotchFrequenciesHz = [60, 50, 60],
        NotchHarmonics = true,
        BandStop = new EegBandStop(6, 15),
    };

    [TestMethod]
    public void TextFormRoundTripsExactly()
    {
        string text = Full.ToString();
        Assert.AreEqual("reference=linked_ears l_freq=0.5 h_freq=40 l_trans_bandwidth=0.25 h_trans_bandwidth=10.000000000000002 notch=50,60 notch_harmonics=true bandstop=6:15", text);
        EegFilterOptions back = EegFilterOptions.Parse(text);
        Assert.AreEqual(Full, back);
        Assert.AreEqual(Full.GetHashCode(), back.GetHashCode());
        Assert.AreEqual(text, back.ToString());
        Assert.AreEqual("none", EegFilterOptions.None.ToString());
        Assert.AreSame(EegFilterOptions.None, EegFilterOptions.Parse(" none "));
        Assert.AreEqual(EegFilterOptions.None, EegFilterOptions.Parse(""));
        // Keys in another order give the same options.
        Assert.AreEqual(new EegFilterOptions { HighFrequencyHz = 40, Reference = EegReference.Average },
            EegFilterOptions.Parse("h_freq=40 reference=average"));
    }

    [TestMethod]
    public void TextFormDoesNotDependOnTheCulture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.AreEqual("l_freq=0.5", new EegFilterOptions { LowFrequencyHz = 0.5 }.ToString());
            Assert.AreEqual(0.5, EegFilterOptions.Parse("l_freq=0.5").LowFrequencyHz);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }

    [TestMethod]
    public void EqualityComparesEveryField()
    {
        Assert.AreEqual(new EegFilterOptions { NotchFrequenciesHz = [50, 100] }, new EegFilterOptions { NotchFrequenciesHz = [100, 50, 50] });
        Assert.AreNotEqual(Full, EegFilterOptions.Parse(Full.ToString().Replace("linked_ears", "average", StringComparison.Ordinal)));
        Assert.AreNotEqual(new EegFilterOptions { LowFrequencyHz = 0.5 }, new EegFilterOptions { HighFrequencyHz = 0.5 });
        Assert.AreNotEqual(new EegFilterOptions { NotchFrequenciesHz = [50] }, new EegFilterOptions { NotchFrequenciesHz = [50], NotchHarmonics = true });
        Assert.AreNotEqual(new EegFilterOptions { BandStop = new EegBandStop(6, 15) }, new EegFilterOptions { BandStop = new EegBandStop(6, 16) });
        Assert.IsTrue(EegFilterOptions.None.IsEmpty);
        Assert.IsFalse(new EegFilterOptions { Reference = EegReference.Average }.IsEmpty);
        Assert.IsFalse(Full.Equals(null));
    }

    [TestMethod]
    [DataRow(double.NaN)]
    [DataRow(-1.0)]
    [DataRow(0.0)]
    [DataRow(double.PositiveInfinity)]
    public void BadFrequenciesAreRefusedWhenSetNamingTheValue(double value)
    {
        string text = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        foreach (Action set in new Action[]
        {
            () => _ = new EegFilterOptions { LowFrequencyHz = value },
            () => _ = new EegFilterOptions { HighFrequencyHz = value },
            () => _ = new EegFilterOptions { LowTransitionBandwidthHz = value },
            () => _ = new EegFilterOptions { HighTransitionBandwidthHz = value },
            () => _ = new EegFilterOptions { NotchFrequenciesHz = [50, value] },
            () => _ = new EegBandStop(value, 15),
            () => _ = new EegBandStop(6, value),
        })
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(set);
            StringAssert.Contains(e.Message, text);
        }
        var parse = Assert.ThrowsExactly<FormatException>(() => EegFilterOptions.Parse($"l_freq={text}"));
        StringAssert.Contains(parse.Message, text);
    }

    [TestMethod]
    public void ContradictionsAreRefusedBeforeAnyRecordingIsRead()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new EegFilterOptions { LowFrequencyHz = 40, HighFrequencyHz = 0.5 }.Validate());
        StringAssert.Contains(e.Message, "l_freq) is 40 Hz");
        StringAssert.Contains(e.Message, "0.5 Hz");
        Assert.ThrowsExactly<ArgumentException>(() => new EegFilterOptions { LowFrequencyHz = 10, HighFrequencyHz = 10 }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new EegFilterOptions { LowTransitionBandwidthHz = 1 }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new EegFilterOptions { HighTransitionBandwidthHz = 1, LowFrequencyHz = 1 }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new EegFilterOptions { NotchHarmonics = true }.Validate());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EegBandStop(15, 6));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EegFilterOptions { Reference = (EegReference)17 });
        Full.Validate();
    }

    [TestMethod]
    [DataRow("l_freq")]
    [DataRow("x=1")]
    [DataRow("l_freq=abc")]
    [DataRow("l_freq=1 l_freq=2")]
    [DataRow("reference=left_ear")]
    [DataRow("notch_harmonics=yes")]
    [DataRow("bandstop=6")]
    [DataRow("bandstop=15:6")]
    [DataRow("notch=50,,60")]
    public void ParseNamesWhatItCannotRead(string text)
    {
        var e = Assert.ThrowsExactly<FormatException>(() => EegFilterOptions.Parse(text));
        StringAssert.Contains(e.Message, text.Split(' ')[^1].Split('=')[0]);
    }
}

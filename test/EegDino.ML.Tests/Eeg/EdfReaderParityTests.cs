using System.Text.Json;
using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg;

/// <summary>Decoded values equal those of an independent decoder (MNE-Python 1.3, committed as JSON).</summary>
[TestClass]
public sealed class EdfReaderParityTests
{
    // float32 rounding of a double is at most half an ulp: 2^-24 relative.
    private const double RelativeTolerance = 1.2e-7;

    [TestMethod]
    [DataRow("S001R01.edf")]
    [DataRow("S001R02.edf")]
    [DataRow("Subject00_2.edf")]
    public void EdfSamplesMatchMne(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(EdfTestWriter.TestData("reference/" + file.Replace(".edf", ".json"))));
        JsonElement root = json.RootElement;
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData(file));
        var data = reader.Signals.Where(s => !s.IsAnnotation).ToList();
        string[] channels = root.GetProperty("channels").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.HasCount(channels.Length, data);
        long n = root.GetProperty("n_times").GetInt64();
        long[] idx = root.GetProperty("indices").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        double worst = 0;
        for (int c = 0; c < data.Count; c++)
        {
            Assert.AreEqual(n, reader.SampleCount(data[c].Index));
            Assert.AreEqual(root.GetProperty("sfreq").GetDouble(), data[c].SamplesPerSecond, 1e-9);
            float[] all = reader.ReadMicrovolts([data[c].Index], 0, (int)n)[0];
            double[] expected = root.GetProperty("microvolts")[c].EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int k = 0; k < idx.Length; k++)
            {
                double err = Math.Abs(all[idx[k]] - expected[k]);
                Assert.IsLessThanOrEqualTo(RelativeTolerance * Math.Abs(expected[k]) + 1e-9, err,
                    $"{file} channel {c} ('{data[c].Label}') sample {idx[k]}: {all[idx[k]]} vs MNE {expected[k]}");
                worst = Math.Max(worst, err / Math.Max(1e-12, Math.Abs(expected[k])));
            }
            double sum = all.Sum(v => (double)v), sumSq = all.Sum(v => (double)v * v);
            double refSum = root.GetProperty("sum")[c].GetDouble(), refSq = root.GetProperty("sum_of_squares")[c].GetDouble();
            Assert.AreEqual(refSq, sumSq, 1e-6 * refSq, $"{file} channel {c} sum of squares");
            Assert.AreEqual(refSum, sum, 1e-6 * Math.Sqrt(refSq * n), $"{file} channel {c} sum");
        }
        Console.WriteLine($"{file}: worst relative error vs MNE {worst:E2}");
    }

    [TestMethod]
    [DataRow("S001R01.edf")]
    [DataRow("Subject00_2.edf")]
    public void AnnotationsMatchMne(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(EdfTestWriter.TestData("reference/" + file.Replace(".edf", ".json"))));
        var expected = json.RootElement.GetProperty("annotations").EnumerateArray()
            .Select(a => (a[0].GetDouble(), a[1].GetDouble(), a[2].GetString()!)).ToList();
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData(file));
        var actual = reader.Annotations.Select(a => (a.OnsetSeconds, a.DurationSeconds, a.Text)).ToList();
        CollectionAssert.AreEqual(expected, actual);
        Assert.IsEmpty(reader.Gaps);
    }

    [TestMethod]
    public void BdfSamplesMatchReference()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(EdfTestWriter.TestData("reference/synthetic_bdf.json")));
        JsonElement root = json.RootElement;
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData("synthetic_bdf.bdf"));
        Assert.AreEqual(EdfFileType.Bdf, reader.Header.FileType);
        Assert.IsTrue(reader.Header.Is24Bit);
        int[] spr = root.GetProperty("samples_per_record").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        for (int c = 0; c < spr.Length; c++)
        {
            Assert.AreEqual(spr[c], reader.Signals[c].SamplesPerRecord);
            int n = (int)reader.SampleCount(c);
            int[] digital = reader.ReadDigital(c, 0, n);
            CollectionAssert.AreEqual(root.GetProperty("digital")[c].EnumerateArray().Select(e => e.GetInt32()).ToArray(), digital);
            float[] uv = reader.ReadMicrovolts([c], 0, n)[0];
            double[] expected = root.GetProperty("microvolts")[c].EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int i = 0; i < n; i++)
                Assert.IsLessThanOrEqualTo(RelativeTolerance * Math.Abs(expected[i]) + 1e-9, Math.Abs(uv[i] - expected[i]), $"signal {c} sample {i}");
        }
        Assert.AreEqual(128.0, reader.Signals[3].SamplesPerSecond);
    }

    [TestMethod]
    public void TimeRangeReadEqualsSliceOfWholeRead()
    {
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData("S001R01.edf"));
        int[] signals = [21, 23, 60];
        float[][] all = reader.ReadMicrovolts(signals, 0, (int)reader.SampleCount(21));
        float[][] part = reader.ReadMicrovolts(signals, 12.5, 3.3);
        for (int k = 0; k < signals.Length; k++)
        {
            Assert.HasCount(528, part[k]);
            CollectionAssert.AreEqual(all[k].Skip(2000).Take(528).ToArray(), part[k]);
        }
        float[] phys = reader.ReadPhysical(21, 159, 3); // crosses a record boundary
        CollectionAssert.AreEqual(all[0].Skip(159).Take(3).ToArray(), phys);
    }
}

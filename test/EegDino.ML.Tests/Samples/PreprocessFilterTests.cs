using EegDino.ML.Samples.Tensors;
using EegDino.ML.Tests.Eeg;
using EegDino.ML.Tests.Eeg.Filtering;

namespace EegDino.ML.Tests.Samples;

/// <summary>
/// The acceptance through the command line: <c>eegdino preprocess --no-resample --l-freq 0.5
/// --h-freq 40 --notch 50</c> on the 500 Hz recording matches MNE's <c>raw.notch_filter(50)</c> then
/// <c>raw.filter(0.5, 40)</c> (the committed MNE output) within NRMSE 1e-4 away from one filter length
/// at each edge; and filter options on a command that reads no recording are a usage error.
/// </summary>
[TestClass]
public sealed class PreprocessFilterTests
{
    [TestMethod]
    public void PreprocessWithNotchAndBandPassMatchesMne()
    {
        MneCase c = MneFilterReference.Case(500, "notch_then_bandpass");
        using var folder = TempFolder.Create("cli");
        string output = folder.File("filtered.safetensors");
        var result = CliHarness.Run("preprocess", EdfTestWriter.TestData(c.File), "--no-resample", "--l-freq", "0.5", "--h-freq", "40", "--notch", "50", "--output", output);
        Assert.AreEqual(0, result.ExitCode, result.Error);
        var (tensors, metadata) = SafetensorsFile.Read(output);
        Assert.AreEqual("l_freq=0.5 h_freq=40 notch=50", metadata["filters"]);
        string[] channels = metadata["source_labels"].Split(',');
        int n = (int)tensors["signal"].Shape[1];
        Assert.AreEqual(c.StoredSamples, n);
        int edge = c.TotalFilterLength;
        double diff = 0, reference = 0;
        for (int k = 0; k < c.Channels.Length; k++)
        {
            int row = Array.FindIndex(channels, l => l.EndsWith(" " + c.Channels[k], StringComparison.Ordinal));
            Assert.IsGreaterThanOrEqualTo(0, row, c.Channels[k]);
            for (int i = edge; i < n - edge; i++)
            {
                double d = tensors["signal"].Data[row * n + i] - c.Output[k][i];
                diff += d * d;
                reference += (double)c.Output[k][i] * c.Output[k][i];
            }
        }
        double nrmse = Math.Sqrt(diff / reference);
        Console.WriteLine($"preprocess vs MNE, interior NRMSE {nrmse:E2}");
        Assert.IsLessThanOrEqualTo(1e-4, nrmse);
    }

    [TestMethod]
    public void FilterOptionsOnACommandThatReadsNoRecordingAreAUsageError()
    {
        var result = CliHarness.Run("encode", "--model", Fixtures.Weights("tiny"), "--input", "x.safetensors", "--output", "y.safetensors", "--l-freq", "1");
        Assert.AreEqual(2, result.ExitCode);
        StringAssert.Contains(result.Error, "apply to commands that read recordings");
        var bad = CliHarness.Run("preprocess", EdfTestWriter.TestData("S001R01.edf"), "--output", "z.safetensors", "--l-freq", "40", "--h-freq", "10");
        Assert.AreEqual(2, bad.ExitCode);
        StringAssert.Contains(bad.Error, "l_freq");
    }
}

using EegDino.ML.Samples.Cli;

using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.Samples;

/// <summary>
/// Errors of the command line: one line on stderr naming the option, the value and what was
/// expected; exit code 2 for usage, 1 for failures, 130 for an interrupt; never a stack trace.
/// </summary>
[TestClass]
public sealed class CliErrorTests
{
    private static void AssertOneLine(CliHarness.Result result, int exitCode, params string[] fragments)
    {
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.Contains("is deprecated", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(exitCode, result.ExitCode, result.Error);
        Assert.HasCount(1, lines, $"one error line expected:\n{result.Error}");
        foreach (string fragment in fragments) StringAssert.Contains(lines[0], fragment);
        Assert.DoesNotContain("   at ", result.Error + result.Out, "no stack trace");
        Assert.DoesNotContain("(Parameter '", lines[0]);
    }

    private static readonly string[] Embed = ["embed", "corpus", "--model", "m.safetensors", "--output", "out.parquet"];

    [TestMethod]
    [DataRow("--window-seconds", "-1")]
    [DataRow("--window-seconds", "0")]
    [DataRow("--window-seconds", "NaN")]
    [DataRow("--window-seconds", "0.001")]
    [DataRow("--window-seconds", "1e9")]
    [DataRow("--stride-seconds", "0")]
    [DataRow("--device", "tpu")]
    [DataRow("--scale", "0")]
    [DataRow("--precision", "fp64")]
    [DataRow("--batch-size", "0")]
    [DataRow("--embedding", "max")]
    [DataRow("--format", "xlsx")]
    public void ABadValueIsAUsageErrorNamingTheOptionAndTheValue(string option, string value)
    {
        AssertOneLine(CliHarness.Run([.. Embed, option, value]), ExitCodes.Usage, option, value.ToLowerInvariant() == "nan" ? "NaN" : value == "1e9" ? "1000000000" : value);
    }

    [TestMethod]
    public void AValueOfTheWrongTypeNamesTheOption()
    {
        AssertOneLine(CliHarness.Run([.. Embed, "--window-seconds", "ten"]), ExitCodes.Usage, "--window-seconds is 'ten'; a number was expected");
        AssertOneLine(CliHarness.Run([.. Embed, "--batch-size=many"]), ExitCodes.Usage, "--batch-size is 'many'; a whole number was expected");
    }

    [TestMethod]
    public void UnknownOptionsAndCommandsAreUsageErrors()
    {
        AssertOneLine(CliHarness.Run([.. Embed, "--windows", "4"]), ExitCodes.Usage, "eegdino embed:", "windows");
        AssertOneLine(CliHarness.Run("embedd", "x"), ExitCodes.Usage, "embedd");
        AssertOneLine(CliHarness.Run("info"), ExitCodes.Usage, "FILE");
        AssertOneLine(CliHarness.Run("encode", "--input", "i", "--output", "o"), ExitCodes.Usage, "--model is required");
        AssertOneLine(CliHarness.Run("train-classifier", "--model", "m", "--class", "open"), ExitCodes.Usage, "--class is 'open'; NAME=FILE");
        AssertOneLine(CliHarness.Run("train-classifier", "--model", "m", "--class", "a=x", "--class", "b=y", "--mode", "last:0"), ExitCodes.Usage, "--mode is 'last:0'");
        AssertOneLine(CliHarness.Run("bench", "--sizes", "tiny"), ExitCodes.Usage, "--sizes has 'tiny'");
        AssertOneLine(CliHarness.Run("bench", "--batch-sizes", "1,-8"), ExitCodes.Usage, "--batch-sizes has '-8'");
        AssertOneLine(CliHarness.Run("bench", "--device", "cuda:x"), ExitCodes.Usage, "--device is 'cuda:x'");
    }

    [TestMethod]
    public void BareEegdinoPrintsTheHelpAndExitsWithUsage()
    {
        Assert.AreEqual(ExitCodes.Usage, CliHarness.Run().ExitCode);
    }

    [TestMethod]
    public void AMissingFileIsAFailureNamingIt()
    {
        using var folder = TempFolder.Create("cli");
        AssertOneLine(CliHarness.Run("info", folder.File("absent.edf")), ExitCodes.Failure, "absent.edf");
        AssertOneLine(CliHarness.Run("encode", "--model", folder.File("absent.safetensors"), "--input", folder.File("in.safetensors"), "--output", folder.File("o.safetensors")),
            ExitCodes.Failure, "in.safetensors");
    }

    [TestMethod]
    public void AnOutputThatIsTheInputIsRefused()
    {
        using var folder = TempFolder.Create("cli");
        string recording = folder.File("S001R01.edf");
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), recording);
        long size = new FileInfo(recording).Length;
        AssertOneLine(CliHarness.Run("preprocess", recording, "--output", recording), ExitCodes.Usage, "--output", "is the input");
        AssertOneLine(CliHarness.Run("embed", recording, "--model", Fixtures.Weights("small"), "--output", recording), ExitCodes.Usage, "--output", "is the input");
        Assert.AreEqual(size, new FileInfo(recording).Length, "the recording is untouched");
    }

    [TestMethod]
    public void AWindowLongerThanEveryRecordingIsAUsageErrorBeforeAnyWork()
    {
        using var folder = TempFolder.Create("cli");
        string output = folder.File("out.csv");
        AssertOneLine(CliHarness.Run("embed", EdfTestWriter.TestData("S001R01.edf"), "--model", Fixtures.Weights("small"), "--output", output, "--window-seconds", "1000"),
            ExitCodes.Usage, "--window-seconds is 1000", "S001R01.edf", "61 s");
        Assert.IsFalse(File.Exists(output));
        AssertOneLine(CliHarness.Run("train-classifier", "--model", Fixtures.Weights("small"), "--class", $"a={EdfTestWriter.TestData("S001R01.edf")}",
            "--class", $"b={EdfTestWriter.TestData("S001R02.edf")}", "--window-seconds", "100"), ExitCodes.Usage, "--window-seconds is 100", "no window fits");
    }

    [TestMethod]
    public void AnUnknownPrecisionIsAUsageErrorListingTheValidOnes()
    {
        var result = CliHarness.Run("encode", "--model", Fixtures.Weights("small"), "--input", "in.safetensors", "--output", "out.safetensors", "--precision", "int8");
        AssertOneLine(result, ExitCodes.Usage, "--precision is 'int8'", "fp32");
    }

    [TestMethod]
    public void FineTuningMoreLayersThanTheModelHasNamesTheLayerCount()
    {
        var result = CliHarness.Run("train-classifier", "--model", Fixtures.Weights("small"),
            "--class", $"open={EdfTestWriter.TestData("S001R01.edf")}", "--class", $"closed={EdfTestWriter.TestData("S001R02.edf")}",
            "--window-seconds", "2", "--stride-seconds", "4", "--mode", "last:13", "--epochs", "1");
        AssertOneLine(result, ExitCodes.Usage, "--mode is 'last:13'", "the model has 12 layers");
    }

    [TestMethod]
    public void AnInterruptEndsWithExitCode130()
    {
        using var folder = TempFolder.Create("cli");
        string input = folder.File("in.safetensors");
        EegDino.ML.Samples.Tensors.SafetensorsFile.Write(input, new Dictionary<string, EegDino.ML.Samples.Tensors.FloatTensor> { ["input"] = new([1, 2, 200], new float[400]) });
        using var interrupted = new CancellationTokenSource();
        interrupted.Cancel();
        var result = CliHarness.Run(interrupted.Token, "encode", "--model", Fixtures.Weights("small"), "--input", input, "--output", folder.File("out.safetensors"));
        Assert.AreEqual(ExitCodes.Interrupted, result.ExitCode, result.Error);
        Assert.IsFalse(File.Exists(folder.File("out.safetensors")));
    }

    [TestMethod]
    public void WrappedExceptionsShowTheRealMessage()
    {
        var real = new EegDinoModelFormatException("model.zip: the weights entry is corrupt.");
        var wrapped = new System.Reflection.TargetInvocationException(new InvalidOperationException("Error during class instantiation", new AggregateException(real)));
        Assert.AreEqual((ExitCodes.Failure, real.Message), CliErrors.Describe(wrapped));
        Assert.AreEqual("numberOfChannels is 23; EEG-DINO has 19 channel slots.",
            CliErrors.Describe(new ArgumentOutOfRangeException("numberOfChannels", 23, "numberOfChannels is 23; EEG-DINO has 19 channel slots.")).Message);
    }
}

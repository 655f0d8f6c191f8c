using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Commands;

namespace EegDino.ML.Tests.Samples;

/// <summary>The command line's parsing: typed settings, switches next to positional arguments, deprecated spellings.</summary>
[TestClass]
public sealed class CliParsingTests
{
    [TestMethod]
    public void ASwitchBeforeTheFileDoesNotSwallowIt()
    {
        var settings = CliHarness.Parse<InfoCommand.Settings>("info", "--use-present-channels", "FILE.edf");
        Assert.IsTrue(settings.UsePresentChannels);
        Assert.AreEqual("FILE.edf", settings.File);
    }

    [TestMethod]
    public void SharedModelOptionsParseToTheLibrarysOptions()
    {
        var settings = CliHarness.Parse<EncodeCommand.Settings>("encode", "--model", "m.safetensors", "--input", "in.safetensors", "--output", "out.safetensors",
            "--scale", "1", "--device", "cuda:1", "--source", "teacher", "--precision", "bf16", "--batch-size", "4");
        Assert.AreEqual("m.safetensors", settings.Model);
        Assert.AreEqual(4, settings.BatchSize);
        Assert.AreEqual(EegDinoPrecision.BFloat16, settings.ComputePrecision);
        Assert.AreEqual(EegDinoWeightSource.Teacher, settings.WeightSource);
        Assert.AreEqual(1f, settings.Scale);
        Assert.AreEqual("cuda:1", settings.Device);
    }

    [TestMethod]
    public void DefaultsAreTheDocumentedOnes()
    {
        var embed = CliHarness.Parse<EmbedCommand.Settings>("embed", "corpus", "--model", "m", "--output", "out.parquet");
        Assert.AreEqual(10.0, embed.WindowSeconds);
        Assert.AreEqual(10.0, embed.Stride, "the stride defaults to the window");
        Assert.AreEqual(16, embed.BatchSize);
        Assert.AreEqual(0.01f, embed.Scale);
        Assert.AreEqual(EegDinoPrecision.Float32, embed.ComputePrecision);
        Assert.AreEqual("parquet", embed.TableFormat);
        Assert.AreEqual("csv", CliHarness.Parse<EmbedCommand.Settings>("embed", "corpus", "--model", "m", "--output", "OUT.CSV").TableFormat);
        var demo = CliHarness.Parse<DemoCommand.Settings>("demo");
        Assert.AreEqual((4.0, 2.0, 5, "eegdino-demo"), (demo.WindowSeconds, demo.StrideSeconds, demo.Folds, demo.Output));
        var bench = CliHarness.Parse<BenchCommand.Settings>("bench");
        CollectionAssert.AreEqual(new[] { EegDinoSize.Small, EegDinoSize.Medium, EegDinoSize.Large }, bench.SizeList.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 8, 16 }, bench.BatchSizeList.ToArray());
        CollectionAssert.AreEqual(new[] { EegDinoPrecision.Float32 }, bench.PrecisionList.ToArray());
    }

    [TestMethod]
    public void TrainClassifierTakesTheModelOptionsAndRepeatedClasses()
    {
        var settings = CliHarness.Parse<TrainClassifierCommand.Settings>("train-classifier", "--model", "m", "--class", "open=a.edf", "--class", "closed=b.edf",
            "--scale", "1", "--source", "teacher", "--device", "cpu", "--precision", "fp16", "--mode", "last:3");
        CollectionAssert.AreEqual(new[] { "open=a.edf", "closed=b.edf" }, settings.Classes);
        Assert.AreEqual((EegDinoTrainingMode.FineTuneLastLayers, 3), settings.ParsedMode);
        Assert.AreEqual(EegDinoPrecision.Float16, settings.ComputePrecision);
        Assert.AreEqual(EegDinoWeightSource.Teacher, settings.WeightSource);
    }

    [TestMethod]
    public void OldSpellingsAreRewrittenWithANotice()
    {
        var notices = new StringWriter();
        string[] rewritten = DeprecatedOptions.Rewrite(
            ["train-classifier", "--window", "2", "--stride=1", "--batch", "8", "--save", "m.zip", "--class", "a=--window"], notices);
        CollectionAssert.AreEqual(new[] { "train-classifier", "--window-seconds", "2", "--stride-seconds=1", "--batch-size", "8", "--output", "m.zip", "--class", "a=--window" }, rewritten);
        string[] lines = notices.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(4, lines);
        StringAssert.Contains(lines[0], "--window is deprecated");
        StringAssert.Contains(lines[0], "use --window-seconds");

        var settings = CliHarness.Parse<TrainClassifierCommand.Settings>("train-classifier", "--model", "m", "--class", "a=x", "--class", "b=y", "--window", "3", "--batch", "4", "--save", "z.zip");
        Assert.AreEqual((3.0, 4, "z.zip"), (settings.WindowSeconds, settings.BatchSize, settings.Output));
        Assert.AreEqual("d", CliHarness.Parse<DemoCommand.Settings>("demo", "--output-dir", "d").Output);
        Assert.AreEqual("8,16", CliHarness.Parse<BenchCommand.Settings>("bench", "--batches", "8,16").BatchSizes);
        Assert.AreEqual("c.json", CliHarness.Parse<MLNetBenchCommand.Settings>("mlnet-bench", "--model", "m", "--config-json", "c.json", "--batch", "2").Config);
        Assert.AreEqual("c.json", CliHarness.Parse<MLNetTrainersCommand.Settings>("mlnet-trainers", "--model", "m", "--config-json", "c.json").Config);
    }

    [TestMethod]
    public void ConvertTakesTheOldPositionalOutput()
    {
        var notices = new StringWriter();
        CollectionAssert.AreEqual(new[] { "convert", "in.pt", "--source", "teacher", "--output", "out.safetensors" },
            DeprecatedOptions.Rewrite(["convert", "in.pt", "--source", "teacher", "out.safetensors"], notices));
        StringAssert.Contains(notices.ToString(), "use --output out.safetensors");
        CollectionAssert.AreEqual(new[] { "convert", "in.pt", "--output", "o" }, DeprecatedOptions.Rewrite(["convert", "in.pt", "--output", "o"], TextWriter.Null));
        var settings = CliHarness.Parse<ConvertCommand.Settings>("convert", "in.pt", "out.safetensors", "--dtype", "bf16");
        Assert.AreEqual(("in.pt", "out.safetensors", "bf16"), (settings.Input, settings.Output, settings.DType));
    }

    [TestMethod]
    public void EveryCommandHasHelpWithExamplesAndTheExitCodes()
    {
        foreach (string command in EegDinoCli.CommandNames)
        {
            foreach (string flag in new[] { "--help", "-h" })
            {
                var result = CliHarness.Tester(stopBeforeRunning: false).Run(command, flag);
                Assert.AreEqual(0, result.ExitCode, $"{command} {flag}: {result.Output}");
                StringAssert.Contains(result.Output, "USAGE:", command);
                StringAssert.Contains(result.Output, $"eegdino {command}", command);
                StringAssert.Contains(result.Output, "EXAMPLES:", command);
                StringAssert.Contains(result.Output, "Exit codes: 0 ok, 1 failure", command);
            }
        }
        var top = CliHarness.Tester(stopBeforeRunning: false).Run("--help");
        foreach (string command in EegDinoCli.CommandNames) StringAssert.Contains(top.Output, command);
    }

    [TestMethod]
    public void TheCommandTableMatchesTheListOfNames()
    {
        var top = CliHarness.Tester(stopBeforeRunning: false).Run("--help").Output;
        string commands = top[top.IndexOf("COMMANDS:", StringComparison.Ordinal)..];
        // A command's line is indented by 4 spaces; its wrapped description lines by more.
        var listed = commands.Split('\n').Skip(1).TakeWhile(l => l.Trim().Length > 0)
            .Where(l => l.StartsWith("    ", StringComparison.Ordinal) && l[4] != ' ').Select(l => l.Trim().Split(' ')[0]).ToList();
        CollectionAssert.AreEqual(EegDinoCli.CommandNames, listed);
    }
}

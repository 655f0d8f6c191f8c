using EegDino.ML.Eeg;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests;

/// <summary>
/// The README's code, statement for statement, so that it keeps compiling and running. The README
/// says "model.safetensors" (a pre-trained encoder of a released size) and the eegmmidb recordings;
/// here they are the Small-preset fixture without its head and the bundled test recordings, written
/// under those names into a work folder.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class ReadmeExamplesTests
{
    private static string _folder = null!;
    private static string _previousDirectory = null!;

    [ClassInitialize]
    public static void PrepareFiles(TestContext _)
    {
        _folder = TempFolder.Create("readme").Path;
        Directory.CreateDirectory(_folder);
        // A pre-trained encoder has no classification head: the stand-in drops the fixture's.
        var encoderOnly = EegDino.ML.Weights.SafetensorsReader.Read(Fixtures.Weights("small")).Tensors
            .Where(t => !t.Key.StartsWith("final_layer.", StringComparison.Ordinal)).ToDictionary();
        EegDino.ML.Weights.SafetensorsWriter.Write(Path.Combine(_folder, "model.safetensors"), encoderOnly);
        foreach (string name in new[] { "S001R01.edf", "S001R02.edf" })
            File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "eeg", name), Path.Combine(_folder, name));
        _previousDirectory = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _folder;
    }

    [ClassCleanup]
    public static void Restore() => Environment.CurrentDirectory = _previousDirectory;

    /// <summary>Every ```csharp block of the README appears, line for line (indentation aside), in this file.</summary>
    [TestMethod]
    public void EveryReadmeSnippetIsRunHere()
    {
        static List<string> Lines(string code) => code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        List<string> here = Lines(File.ReadAllText(Path.Combine(Repository.Root, "test", "EegDino.ML.Tests", "ReadmeExamplesTests.cs")));
        var blocks = Repository.FencedBlocks(readme, "csharp").ToList();
        Assert.IsNotEmpty(blocks, "the README has no csharp snippets");
        foreach (string block in blocks)
        {
            List<string> snippet = Lines(block);
            bool found = Enumerable.Range(0, here.Count - snippet.Count + 1).Any(i => here.Skip(i).Take(snippet.Count).SequenceEqual(snippet));
            Assert.IsTrue(found, $"This README snippet is not in ReadmeExamplesTests.cs (copy it in, statement for statement):\n{block}");
        }
    }

    [TestMethod]
    public void EncoderExample()
    {
        float[] signal = Fixtures.Synthetic(19, 2000);         // 19 channels x 10 s at 200 Hz, microvolts, channel-major
        // README: "Encode a recording"
        EegDinoAllocator.ConfigureForThroughput(); // once, at start (Linux/glibc): reuse freed memory, see Speed
        using var encoder = EegDinoEncoder.Load("model.safetensors");
        EegDinoEncoding encoding = encoder.Encode(signal, numberOfChannels: 19);
        ReadOnlySpan<float> embedding = encoding.GetPooledMean(0); // D = 200 floats for Small
        Console.WriteLine($"{encoder.Config}: {encoding.TokenCount} tokens of {encoding.EmbeddingDim}");
        // end
        Assert.AreEqual(200, embedding.Length);
        Assert.AreEqual(1 + 19 * 10, encoding.TokenCount);
    }

    [TestMethod]
    public void PipelineExample()
    {
        // README: "Recordings to embeddings to any ML.NET trainer"
        var ml = new MLContext(seed: 1);
        IDataView windows = ml.Data.LoadFromEegRecordings(
            [new EegRecordingSource("S001R01.edf", "eyes open"), new EegRecordingSource("S001R02.edf", "eyes closed")],
            new EegLoaderOptions { Windows = new EegWindowOptions { WindowSeconds = 4, StrideSeconds = 4 } });

        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.EegDinoEmbed("Embedding", "Signal", "model.safetensors", numberOfChannels: 19))
            .AppendCacheCheckpoint(ml)                  // encode each window once, not once per trainer pass
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Embedding"));

        var model = pipeline.Fit(windows);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(windows));
        Console.WriteLine($"training accuracy {metrics.MicroAccuracy:P1}");
        ml.Model.Save(model, windows.Schema, "eeg-model.zip");  // the weights travel inside the zip
        // end
        Assert.IsTrue(File.Exists(Path.Combine(_folder, "eeg-model.zip")));
        Assert.IsTrue(metrics.MicroAccuracy > 0.5);
        var loaded = ml.Model.Load("eeg-model.zip", out _);
        Assert.IsNotNull(loaded.Transform(windows).Schema.GetColumnOrNull("PredictedLabel"));
    }

    [TestMethod]
    public void TrainerExample()
    {
        var ml = new MLContext(seed: 1);
        IDataView windows = ml.Data.LoadFromEegRecordings(
            [new EegRecordingSource("S001R01.edf", "eyes open"), new EegRecordingSource("S001R02.edf", "eyes closed")],
            new EegLoaderOptions { Windows = new EegWindowOptions { WindowSeconds = 4, StrideSeconds = 4 } });
        // README: "Train a classifier on the encoder"
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(windows).Transform(windows);
        var split = ml.Data.TrainTestSplit(ml.Data.Cache(data), testFraction: 0.3, seed: 1);

        var trainer = ml.MulticlassClassification.Trainers.EegDino(new EegDinoClassifierTrainer.Options
        {
            LabelColumnName = "Label",
            SignalColumnName = "Signal",
            ModelPath = "model.safetensors",
            NumberOfEpochs = 5,               // head only, encoder frozen (the default mode)
        });
        using var classifier = trainer.Fit(split.TrainSet);
        var metrics = ml.MulticlassClassification.Evaluate(classifier.Transform(split.TestSet));
        Console.WriteLine($"test accuracy {metrics.MicroAccuracy:P1}, log-loss {metrics.LogLoss:F3}");
        ml.Model.Save(classifier, split.TrainSet.Schema, "classifier.zip");
        // end
        Assert.AreEqual(5, classifier.History.Epochs.Count);
        Assert.IsTrue(File.Exists(Path.Combine(_folder, "classifier.zip")));
    }
}

using EegDino.ML.MLNet.Internals;
using EegDino.ML.Tests.Training;
using EegDino.ML.Tests.Weights;
using EegDino.ML.Weights;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>
/// The model zips committed under TestData/mlnet (see its README.md) and the code that wrote them.
/// Each zip comes with <c>NAME.expected.safetensors</c>: the outputs (and, where the inputs are not a
/// fixture, the inputs) that the writing version computed, so that every later version must load the
/// zip and give the same numbers. The writer runs only by hand, never in a normal test run; files
/// written by a released version are never regenerated.
/// </summary>
internal static class ModelZipTestData
{
    /// <summary>Environment variable naming the folder the writer writes to.</summary>
    public const string WriteVariable = "EEGDINO_WRITE_MODEL_ZIP_TEST_DATA";

    /// <summary>Persistence version 0x00010001 as written before the version scheme was unified: EegDinoEmbed (tiny) + SDCA.</summary>
    public const string EmbeddingPipeline = "embedding-pipeline-0x00010001";

    /// <summary>Persistence version 0x00010001: a classifier trained by EegDinoClassifierTrainer (tiny, 2 classes).</summary>
    public const string Classifier = "classifier-0x00010001";

    /// <summary>As <see cref="EmbeddingPipeline"/>, written after the input contract was added (Precision and InputContract keys, still 0x00010001).</summary>
    public const string EmbeddingPipelineWithContract = "embedding-pipeline-0x00010001-contract";

    /// <summary>As <see cref="Classifier"/>, written after the input contract was added (still 0x00010001).</summary>
    public const string ClassifierWithContract = "classifier-0x00010001-contract";

    public static string Zip(string name) => Existing(Path.Combine(Folder, name + ".zip"));

    /// <summary>The expected tensors of <paramref name="name"/>, read without the library's reader.</summary>
    public static Dictionary<string, (long[] Shape, float[] Data)> Expected(string name) =>
        CheckpointTestFiles.ReadSafetensorsF32(Existing(Path.Combine(Folder, name + ".expected.safetensors")));

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "mlnet");

    private static string Existing(string path)
    {
        if (!File.Exists(path)) Assert.Fail($"Test data {path} is missing; it is committed under test/EegDino.ML.Tests/TestData/mlnet.");
        return path;
    }

    /// <summary>The classifier zip's input rows: 4 rhythm rows (16 x 400), seed 11.</summary>
    public static List<RhythmData.Row> ClassifierRows() => RhythmData.Rows(4, seed: 11);

    /// <summary>
    /// Writes both zips and their expected outputs into <paramref name="folder"/>, named by the
    /// persistence versions today's code writes (<c>embedding-pipeline-0x00010002.zip</c>...).
    /// </summary>
    public static void WriteAll(string folder)
    {
        Directory.CreateDirectory(folder);
        WriteEmbeddingPipeline(folder, "embedding-pipeline-" + ModelZipFormat.Text(EegDinoEmbeddingTransformer.PersistenceFormat.VersionWritten));
        WriteClassifier(folder, "classifier-" + ModelZipFormat.Text(EegDinoClassificationTransformer.PersistenceFormat.VersionWritten));
    }

    private static void WriteEmbeddingPipeline(string folder, string name)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.FixtureRows());
        var pipeline = ml.Transforms.EegDinoEmbed(TinyModel.Options(batchSize: 2))
            .AppendCacheCheckpoint(ml)
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(labelColumnName: "Label", featureColumnName: "Embedding", maximumNumberOfIterations: 5));
        var model = pipeline.Fit(data);
        try
        {
            IDataView scored = model.Transform(data);
            float[][] embeddings = SignalData.ReadEmbeddings(scored).ToArray();
            float[] scores = scored.GetColumn<float>("Score").ToArray();
            ml.Model.Save(model, data.Schema, Path.Combine(folder, name + ".zip"));
            SafetensorsWriter.Write(Path.Combine(folder, name + ".expected.safetensors"), new Dictionary<string, WeightTensor>
            {
                ["embedding"] = new([embeddings.Length, embeddings[0].Length], [.. embeddings.SelectMany(e => e)]),
                ["score"] = new([scores.Length], scores),
            });
        }
        finally
        {
            foreach (var disposable in model.OfType<IDisposable>()) disposable.Dispose();
        }
    }

    private static void WriteClassifier(string folder, string name)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = RhythmData.Load(ml, RhythmData.Rows(8, seed: 5));
        var options = RhythmData.Options(epochs: 2);
        options.InferenceBatchSize = 3;
        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(train);
        var rows = ClassifierRows();
        float[][] scores = RhythmData.Scores(model.Transform(RhythmData.Load(ml, rows))).ToArray();
        ml.Model.Save(model, train.Schema, Path.Combine(folder, name + ".zip"));
        SafetensorsWriter.Write(Path.Combine(folder, name + ".expected.safetensors"), new Dictionary<string, WeightTensor>
        {
            ["input"] = new([rows.Count, RhythmData.Size], [.. rows.SelectMany(r => r.Signal)]),
            ["score"] = new([scores.Length, scores[0].Length], [.. scores.SelectMany(s => s)]),
        });
    }
}

/// <summary>Writes the committed model zips; by hand only (see <see cref="ModelZipTestData"/>).</summary>
[TestClass]
public sealed class ModelZipTestDataWriter
{
    [TestMethod]
    public void WriteModelZipTestDataWhenAsked()
    {
        string? folder = Environment.GetEnvironmentVariable(ModelZipTestData.WriteVariable);
        if (string.IsNullOrEmpty(folder))
            Assert.Inconclusive($"Writes the committed model zips only when {ModelZipTestData.WriteVariable} names a folder (by hand, never in CI).");
        ModelZipTestData.WriteAll(folder);
    }
}

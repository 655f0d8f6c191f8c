using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// The exported graph in an ML.NET pipeline through <c>mlContext.Transforms.ApplyOnnxModel</c>: the
/// fixture rows give the float64 reference's outputs, and the pipeline saved as a model zip (the ONNX
/// bytes travel inside it) and loaded again gives the same values with the .onnx file gone.
/// </summary>
[TestClass]
public sealed class OnnxMLNetTests
{
    private const int Channels = 16, Samples = 1000;

    public sealed class Row
    {
        [ColumnName(EegDinoOnnxExporter.InputName)]
        [VectorType(Channels * Samples)]
        public float[] Signal { get; set; } = [];
    }

    [TestMethod]
    public void ApplyOnnxModelGivesTheReferenceAndSurvivesSaveAndLoad()
    {
        using var folder = TempFolder.Create("eegdino-onnx-mlnet");
        string onnxPath = folder.File("tiny.onnx");
        using (var encoder = OnnxTestModels.LoadFixture("tiny")) EegDinoOnnxExporter.Export(encoder, onnxPath);

        float[] input = Fixtures.Input("tiny", out long[] shape);
        Assert.AreEqual(Channels, (int)shape[1]);
        Assert.AreEqual(Samples, (int)shape[2]);
        int size = Channels * Samples;
        var rows = Enumerable.Range(0, (int)shape[0]).Select(b => new Row { Signal = input.AsSpan(b * size, size).ToArray() }).ToList();

        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        string[] outputs = ["pooled_mean", "global_token", "logits"];
        var pipeline = ml.Transforms.ApplyOnnxModel(outputs, [EegDinoOnnxExporter.InputName], onnxPath,
            new Dictionary<string, int[]> { [EegDinoOnnxExporter.InputName] = [1, Channels, Samples] },
            gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100);
        var model = pipeline.Fit(data);
        var first = Read(model.Transform(data), outputs);
        foreach (string name in outputs)
        {
            double error = Fixtures.Nrmse(first[name], OnnxTestModels.Reference("tiny", name));
            Assert.IsTrue(error <= Fixtures.Tolerance, $"ApplyOnnxModel {name}: NRMSE {error:E3}");
        }

        string zip = folder.File("pipeline.zip");
        ml.Model.Save(model, data.Schema, zip);
        File.Delete(onnxPath); // the zip must carry the graph itself
        var loaded = new MLContext(seed: 2).Model.Load(zip, out var inputSchema);
        Assert.IsNotNull(inputSchema.GetColumnOrNull(EegDinoOnnxExporter.InputName), "input column in the saved schema");
        var second = Read(loaded.Transform(data), outputs);
        foreach (string name in outputs) CollectionAssert.AreEqual(first[name], second[name], $"{name} after save and load");
        (loaded as IDisposable)?.Dispose();
        (model as IDisposable)?.Dispose();
    }

    /// <summary>Each output column's rows, concatenated in row order.</summary>
    private static Dictionary<string, float[]> Read(IDataView data, string[] columns) =>
        columns.ToDictionary(c => c, c => data.GetColumn<float[]>(c).SelectMany(v => v).ToArray());
}

using EegDino.ML.Onnx;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// The exported file as other tools see it: it passes the structural checker (read with OnnxSharp, not
/// the exporter's writer) and ONNX Runtime's load; inputs, outputs, dynamic dimensions and the
/// metadata's input contract are as documented; a subset of outputs leaves the unused weights out.
/// </summary>
[TestClass]
public sealed class OnnxModelStructureTests
{
    public static IEnumerable<object[]> Variants =>
    [
        ["tiny", EegDinoPrecision.Float32, 17],
        ["tiny", EegDinoPrecision.Float16, 23],
        ["small", EegDinoPrecision.Float32, 18],
        ["small", EegDinoPrecision.Float16, 20],
        ["medium_2layer", EegDinoPrecision.Float32, 21],
    ];

    [TestMethod]
    [DynamicData(nameof(Variants))]
    public void ExportPassesTheStructuralCheckerAndOnnxRuntimesLoad(string caseName, EegDinoPrecision precision, int opset)
    {
        byte[] bytes = OnnxTestModels.Export(caseName, new EegDinoOnnxExportOptions { Precision = precision, Opset = opset });
        var model = ModelProto.Parser.ParseFrom(bytes);
        var problems = OnnxStructureChecker.Check(model, opset, OnnxEncoderGraph.IrVersionFor(opset));
        Assert.AreEqual(0, problems.Count, string.Join(Environment.NewLine, problems));

        var weightType = precision == EegDinoPrecision.Float16 ? TensorProto.Types.DataType.Float16 : TensorProto.Types.DataType.Float;
        var qkv = model.Graph.Initializer.Single(t => t.Name == "encoder_layers.0.attn.qkv.weight.T_query_scaled");
        Assert.AreEqual((int)weightType, qkv.DataType, "matrix weights are stored in the export precision");
        Assert.AreEqual((int)TensorProto.Types.DataType.Float, model.Graph.Initializer.Single(t => t.Name == "encoder_layers.0.norm1.weight").DataType,
            "normalisation parameters stay float32");

        using var session = OnnxTestModels.Session(bytes); // throws on any schema or type error
        var input = session.InputMetadata.Single();
        Assert.AreEqual(EegDinoOnnxExporter.InputName, input.Key);
        Assert.AreEqual(typeof(float), input.Value.ElementType);
        CollectionAssert.AreEqual(new[] { "batch", "channels", "samples" }, input.Value.SymbolicDimensions);
        CollectionAssert.AreEqual(EegDinoOnnxExporter.OutputNames.ToArray(), session.OutputMetadata.Keys.ToArray());
        foreach (var output in session.OutputMetadata.Values)
        {
            Assert.AreEqual(typeof(float), output.ElementType, "outputs are float32 in every precision");
            Assert.AreEqual("batch", output.SymbolicDimensions[0]);
        }
    }

    [TestMethod]
    public void TheCheckerCatchesBrokenModels()
    {
        var model = ModelProto.Parser.ParseFrom(OnnxTestModels.Export("tiny"));
        Assert.AreEqual(0, OnnxStructureChecker.Check(model, 17, 8).Count);

        var missing = model.Clone();
        missing.Graph.Initializer.RemoveAt(0);
        StringAssert.Contains(string.Join("; ", OnnxStructureChecker.Check(missing, 17, 8)), "before it is defined");

        var misShaped = model.Clone();
        misShaped.Graph.Initializer[0].Dims[0] += 1;
        StringAssert.Contains(string.Join("; ", OnnxStructureChecker.Check(misShaped, 17, 8)), "are stored");

        var renamed = model.Clone();
        renamed.Graph.Node[1].Name = renamed.Graph.Node[0].Name;
        StringAssert.Contains(string.Join("; ", OnnxStructureChecker.Check(renamed, 17, 8)), "is used more than once");

        var reordered = model.Clone();
        var last = reordered.Graph.Node[^1];
        reordered.Graph.Node.RemoveAt(reordered.Graph.Node.Count - 1);
        reordered.Graph.Node.Insert(0, last);
        StringAssert.Contains(string.Join("; ", OnnxStructureChecker.Check(reordered, 17, 8)), "before it is defined");

        StringAssert.Contains(string.Join("; ", OnnxStructureChecker.Check(model, 18, 8)), "expected once, version 18");
    }

    [TestMethod]
    public void MetadataStatesTheInputContract()
    {
        string[] names = [.. EegDino.ML.Eeg.MontageMapper.DefaultChannelOrder];
        var options = new EegDinoEncoderOptions { InputScale = 0.01f, Config = Fixtures.Config("small") };
        options.Model.ChannelNames = names;
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("small"), options);
        using var session = OnnxTestModels.Session(OnnxTestModels.Export(encoder));
        var metadata = session.ModelMetadata;
        Assert.AreEqual("EegDino.ML", metadata.ProducerName);
        var map = metadata.CustomMetadataMap;
        Assert.AreEqual(encoder.InputContract, EegDinoInputContract.FromJson(map["eegdino.input_contract"], "metadata"), "the encoder's input contract, as the library saves it");
        Assert.AreEqual(string.Join(",", names), map["eegdino.channel_order"]);
        Assert.AreEqual("19", map["eegdino.channel_slots"]);
        Assert.AreEqual("200", map["eegdino.sampling_rate_hz"]);
        Assert.AreEqual("200", map["eegdino.patch_size"]);
        Assert.AreEqual(0.01f, float.Parse(map["eegdino.input_scale"], System.Globalization.CultureInfo.InvariantCulture));
        StringAssert.Contains(map["eegdino.input_units"], "microvolts");
        Assert.AreEqual(encoder.Config, EegDinoConfig.FromJson(map["eegdino.config"]), "the configuration JSON reads back as the model's");
        Assert.AreEqual("encoder_output,global_token,pooled_mean,logits", map["eegdino.outputs"]);
        Assert.AreEqual("4", map["eegdino.head_classes"]);
        Assert.AreEqual("float32", map["eegdino.precision"]);

        // Unnamed channels say so, and name the default montage order the loader would use.
        using var unnamed = OnnxTestModels.Session(OnnxTestModels.Export("tiny"));
        string order = unnamed.ModelMetadata.CustomMetadataMap["eegdino.channel_order"];
        StringAssert.StartsWith(order, "unnamed");
        StringAssert.Contains(order, string.Join(",", names));
    }

    [TestMethod]
    public void ASubsetOfOutputsLeavesTheUnusedWeightsOut()
    {
        byte[] all = OnnxTestModels.Export("tiny");
        byte[] pooled = OnnxTestModels.Export("tiny", new EegDinoOnnxExportOptions { Outputs = ["pooled_mean"] });
        var model = ModelProto.Parser.ParseFrom(pooled);
        Assert.AreEqual(0, OnnxStructureChecker.Check(model, 17, 8).Count, "the checker also requires every initializer to be used");
        Assert.IsFalse(model.Graph.Initializer.Any(t => t.Name.StartsWith("final_layer.", StringComparison.Ordinal)), "no head weights without logits");
        Assert.IsTrue(pooled.Length < all.Length);

        using var session = OnnxTestModels.Session(pooled);
        float[] input = Fixtures.Input("tiny", out long[] shape);
        var outputs = OnnxTestModels.Run(session, input, shape);
        Assert.AreEqual("pooled_mean", outputs.Keys.Single());
        Assert.IsTrue(Fixtures.Nrmse(outputs["pooled_mean"].Data, OnnxTestModels.Reference("tiny", "pooled_mean")) <= Fixtures.Tolerance);
    }

    [TestMethod]
    public void AModelWithoutHeadHasNoLogitsByDefault()
    {
        using var encoder = EncoderWithoutHead();
        using var session = OnnxTestModels.Session(OnnxTestModels.Export(encoder));
        CollectionAssert.AreEqual(new[] { "encoder_output", "global_token", "pooled_mean" }, session.OutputMetadata.Keys.ToArray());
    }

    internal static EegDinoEncoder EncoderWithoutHead()
    {
        var tensors = EegDino.ML.Weights.SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors
            .Where(t => !t.Key.StartsWith("final_layer.", StringComparison.Ordinal)).ToDictionary();
        using var stream = new MemoryStream();
        EegDino.ML.Weights.SafetensorsWriter.Write(stream, tensors, new Dictionary<string, string> { ["config"] = Fixtures.Config("tiny").ToJson() });
        stream.Position = 0;
        return EegDinoEncoder.Load(stream, new EegDinoEncoderOptions { InputScale = 1f });
    }
}

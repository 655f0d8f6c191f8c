using System.Globalization;
using EegDino.ML.Weights;

namespace EegDino.ML.Onnx;

/// <summary>
/// Assembles the whole exported network, mirroring <c>Model/EegDinoNetwork.cs</c> and the summaries of
/// <c>EegDinoRuntime.ToEncoding</c>: input <c>[B, C, T]</c> float32 in the caller's units, times the
/// input scale, through the patch embedding and the layers (the global tokens prepended after layer
/// <c>global_token_layer</c>), to the requested outputs. The TorchSharp path pads sequences to a
/// multiple of 16 tokens for libtorch's attention kernel; that is a speed device with masked keys,
/// so the graph does not reproduce it.
/// </summary>
internal static class OnnxEncoderGraph
{
    public static OnnxModel Build(IReadOnlyDictionary<string, WeightTensor> weights, EegDinoConfig config, EegDinoInputContract contract,
        OnnxExportSettings settings)
    {
        float inputScale = contract.InputScale;
        var g = new OnnxGraphBuilder(settings.Opset, settings.ComputeType);
        var cx = new OnnxExportContext(g, weights, config);
        int dim = config.EmbeddingDim, globalCount = config.NumberOfGlobalTokens;

        string input = g.Reserve(EegDinoOnnxExporter.InputName);
        string scaled = inputScale == 1f ? input : g.Mul(input, g.Scalar(inputScale, OnnxProto.DataType.Float));
        var (embedding, shapeBcpd) = OnnxPatchEmbedding.Build(cx, scaled, settings.Spectrum);
        string tokens = g.Reshape(embedding, 0, -1, dim);                                    // [B, C*P, D]

        for (int i = 0; i < config.NumberOfLayers; i++)
        {
            tokens = OnnxTransformerLayer.Build(cx, tokens, i);
            if (i + 1 == config.GlobalTokenLayer)
            {
                var global = cx.W("global_tokens");                                          // [1, G, D]
                string batch = g.Shape(tokens, 0, 1);
                string expanded = g.Node("Expand", [g.Float32("global_tokens", global.Shape, global.Data), g.Concat(0, batch, g.Int64s(1, 1))]);
                tokens = g.Concat(1, expanded, tokens);                                      // [B, G + C*P, D]
            }
        }

        var outputs = new List<OnnxValueInfo>();
        foreach (string name in settings.Outputs)
        {
            string value = name switch
            {
                "encoder_output" => tokens,
                "global_token" => g.ReduceMean(g.Slice(tokens, [0], [globalCount], [1]), [1], keepDims: false),
                "pooled_mean" => g.ReduceMean(PatchTokens(g, tokens, globalCount), [1], keepDims: false),
                "logits" => OnnxClassificationHead.Build(cx, PatchTokens(g, tokens, globalCount), shapeBcpd),
                _ => throw new InvalidOperationException($"Unknown output '{name}'."),
            };
            g.Node("Identity", [value], output: name);
            outputs.Add(new OnnxValueInfo(name, OnnxProto.DataType.Float, OutputShape(name, dim, settings.HeadClasses), OutputDoc(name)));
        }

        var graph = new OnnxGraph("eegdino", g.Nodes, g.Initializers,
            [new OnnxValueInfo(input, OnnxProto.DataType.Float, ["batch", "channels", "samples"],
                $"EEG [batch, channels, samples] at {contract.SamplesPerSecond.ToString("0.###", CultureInfo.InvariantCulture)} Hz in the units the encoder takes (multiplied by {inputScale.ToString(CultureInfo.InvariantCulture)} inside the graph); channel i uses channel slot i")],
            outputs, $"EEG-DINO encoder, {config}");
        return new OnnxModel(IrVersionFor(settings.Opset), settings.Opset, "EegDino.ML", ProducerVersion, graph.Doc, graph,
            OnnxModelMetadata.Describe(config, contract, settings));
    }

    /// <summary>Patch tokens, global tokens left out: <c>[B, C*P, D]</c>.</summary>
    private static string PatchTokens(OnnxGraphBuilder g, string tokens, int globalCount) =>
        g.Slice(tokens, [globalCount], [long.MaxValue], [1]);

    private static OnnxDim[] OutputShape(string name, int dim, int? classes) => name switch
    {
        "encoder_output" => ["batch", "tokens", dim],
        "logits" => ["batch", classes ?? 0],
        _ => ["batch", dim],
    };

    private static string OutputDoc(string name) => name switch
    {
        "encoder_output" => "[batch, G + C*P, D]: the global token(s) first, then the patch tokens channel-major",
        "global_token" => "[batch, D]: the global token (mean of the global tokens when there are several)",
        "pooled_mean" => "[batch, D]: mean of the patch tokens, global tokens excluded",
        _ => "[batch, classes]: the classification head's logits",
    };

    /// <summary>
    /// The ONNX IR version released with each opset (onnx's own version table: 1.12/1.13 = opsets
    /// 17/18 = IR 8, 1.14/1.15 = 19/20 = IR 9, 1.16/1.17 = 21/22 = IR 10, 1.18 = 23 = IR 11).
    /// </summary>
    internal static long IrVersionFor(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    private static string ProducerVersion =>
        typeof(OnnxEncoderGraph).Assembly.GetName().Version?.ToString() ?? "0";
}

namespace EegDino.ML.Onnx;

/// <summary>
/// The ONNX form of <c>Model/ClassificationHead.cs</c> (<c>final_layer</c>) in eval mode (dropout is the
/// identity): <c>token_proj</c> + GELU per patch token, mean over channels, <c>time_proj</c> + GELU,
/// mean over patches, then the classifier D -> D/2 -> D/4 -> classes with GELU between.
/// </summary>
internal static class OnnxClassificationHead
{
    /// <param name="cx">The export.</param>
    /// <param name="patchTokens">Encoder output without the global tokens, <c>[B, C*P, D]</c>, float32.</param>
    /// <param name="shapeBcpd">The shape value <c>[B, C, P, D]</c>.</param>
    /// <returns>Logits <c>[B, classes]</c>, float32.</returns>
    public static string Build(OnnxExportContext cx, string patchTokens, string shapeBcpd)
    {
        var g = cx.G;
        using var scope = g.Scope("final_layer");
        string Gelu(string x) => g.Gelu(x, OnnxProto.DataType.Float);
        string x = Gelu(cx.Linear(patchTokens, "final_layer.token_proj.0"));
        x = g.ReduceMean(g.Reshape(x, shapeBcpd), [1], keepDims: false);                // [B, P, D]
        x = g.ReduceMean(Gelu(cx.Linear(x, "final_layer.time_proj.0")), [1], keepDims: false); // [B, D]
        x = Gelu(cx.Linear(x, "final_layer.classifier.0"));
        x = Gelu(cx.Linear(x, "final_layer.classifier.3"));
        return cx.Linear(x, "final_layer.classifier.6");
    }
}

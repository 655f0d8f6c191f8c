namespace EegDino.ML.Onnx;

/// <summary>
/// The ONNX form of <c>Model/TransformerEncoderLayer.cs</c> with its <c>Attention</c> and <c>Mlp</c>:
/// pre-norm <c>x + attn(norm1(x))</c>, then <c>x + mlp(norm2(x))</c>, on <c>[B, N, D]</c>. The residual
/// stream, LayerNorm and softmax are float32; the projections and the two attention matmuls run in
/// the compute type. Attention is written out (MatMul, Softmax, MatMul) rather than as a fused
/// operator so that any execution provider runs it; ONNX Runtime fuses what it recognises.
/// </summary>
internal static class OnnxTransformerLayer
{
    public static string Build(OnnxExportContext cx, string x, int index)
    {
        var g = cx.G;
        string key = $"encoder_layers.{index}";
        using var scope = g.Scope(key);
        x = g.Add(x, Attention(cx, LayerNorm(cx, x, key + ".norm1"), key + ".attn"));
        string hidden = g.Gelu(cx.Linear(LayerNorm(cx, x, key + ".norm2"), key + ".mlp.fc1"), OnnxProto.DataType.Float);
        return g.Add(x, cx.Linear(hidden, key + ".mlp.fc2"));
    }

    private static string LayerNorm(OnnxExportContext cx, string x, string key)
    {
        var g = cx.G;
        var weight = cx.W(key + ".weight");
        return g.Node("LayerNormalization",
            [x, g.Float32(key + ".weight", weight.Shape, weight.Data), g.Float32(key + ".bias", weight.Shape, cx.W(key + ".bias").Data)],
            [OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", 1e-5f)]);
    }

    /// <summary>
    /// BEiT-style attention: <c>qkv</c> without bias plus <c>q_bias</c>, a zero key bias and <c>v_bias</c>;
    /// softmax(q k^T / sqrt(head_dim)) v; output projection <c>proj</c>. The 1/sqrt(head_dim) scale is
    /// folded into the query rows of the weight and into q_bias (in float64, rounded once), which is
    /// the same product up to float rounding and saves a pass over q.
    /// </summary>
    private static string Attention(OnnxExportContext cx, string x, string key)
    {
        var g = cx.G;
        int dim = cx.Config.EmbeddingDim, heads = cx.Config.NumberOfHeads, headDim = cx.Config.HeadDim;
        double scale = 1.0 / Math.Sqrt(headDim);

        var qkv = cx.W(key + ".qkv.weight");                                // [3D, D]
        float[] weight = (float[])qkv.Data.Clone();
        for (int i = 0; i < dim * dim; i++) weight[i] = (float)(weight[i] * scale);
        float[] bias = new float[3 * dim];
        float[] qBias = cx.W(key + ".q_bias").Data, vBias = cx.W(key + ".v_bias").Data;
        for (int i = 0; i < dim; i++)
        {
            bias[i] = (float)(qBias[i] * scale);
            bias[2 * dim + i] = vBias[i];
        }
        string projected = g.Add(
            g.MatMul(g.ToCompute(x), g.Weight(key + ".qkv.weight.T_query_scaled", [dim, 3 * dim], OnnxGraphBuilder.Transposed(weight, 3 * dim, dim))),
            g.Weight(key + ".qkv.bias_query_scaled", [3 * dim], bias));
        string split = g.Reshape(projected, 0, 0, 3, heads, headDim);       // [B, N, 3, H, hd]
        string Part(long i, params long[] perm) => g.Transpose(g.Node("Gather", [split, g.Int64Scalar(i)], [OnnxAttribute.Int("axis", 2)]), perm);
        string q = Part(0, 0, 2, 1, 3);                                     // [B, H, N, hd]
        string kT = Part(1, 0, 2, 3, 1);                                    // [B, H, hd, N]
        string v = Part(2, 0, 2, 1, 3);                                     // [B, H, N, hd]

        string scores = g.ToFloat32(g.MatMul(q, kT));                       // [B, H, N, N]
        string weights = g.ToCompute(g.Node("Softmax", [scores], [OnnxAttribute.Int("axis", -1)]));
        string attended = g.Transpose(g.MatMul(weights, v), 0, 2, 1, 3);   // [B, N, H, hd]
        string merged = g.Reshape(attended, 0, 0, dim);                     // [B, N, D]
        return g.ToFloat32(g.Linear(merged, key + ".proj", cx.W(key + ".proj.weight"), cx.W(key + ".proj.bias")));
    }
}

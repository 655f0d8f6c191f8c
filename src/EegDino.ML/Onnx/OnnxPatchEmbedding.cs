namespace EegDino.ML.Onnx;

/// <summary>
/// The ONNX form of <c>Model/PatchEmbedding.cs</c> (braindecode's <c>_PatchEmbedding</c>), preceded by
/// the network's right-padding to whole patches: <c>[B, C, T]</c> (scaled) -> <c>[B, C, P, D]</c>.
/// The (1, k) convolutions are ONNX <c>Conv</c> nodes: the unfold + matmul form in TorchSharp works
/// around a libtorch oneDNN bug, while <c>Conv</c> is what every execution provider implements best
/// and computes the same sums (the fixtures check it). GroupNorm is <c>InstanceNormalization</c> over
/// the groups plus the per-channel affine, as PyTorch's own exporter writes it (ONNX's
/// <c>GroupNormalization</c> changed meaning between opsets 18 and 21).
/// </summary>
internal static class OnnxPatchEmbedding
{
    /// <summary>The embedded patches <c>[B, C, P, D]</c> (float32) and the shape value <c>[B, C, P, D]</c> for later reshapes.</summary>
    public static (string Embedding, string ShapeBcpd) Build(OnnxExportContext cx, string scaled, OnnxSpectrumMethod spectrum)
    {
        var g = cx.G;
        var config = cx.Config;
        int patchSize = config.PatchSize, dim = config.EmbeddingDim;
        using var scope = g.Scope("patch_embedding");

        // Right-pad T to P whole patches: P = ceil(T / patch_size), pad = P * patch_size - T.
        string samples = g.Shape(scaled, 2, 3);                                         // [T]
        string count = g.Div(g.Add(samples, g.Int64s(patchSize - 1)), g.Int64s(patchSize)); // [P]
        string pad = g.Sub(g.Mul(count, g.Int64s(patchSize)), samples);
        string padded = g.Node("Pad", [scaled, g.Concat(0, g.Int64s(0, 0, 0, 0, 0), pad)]);
        string patches = g.Reshape(padded, 0, 0, -1, patchSize);                        // [B, C, P, patch_size]
        string shapeBcpd = g.Concat(0, g.Shape(patches, 0, 3), g.Int64s(dim));          // [B, C, P, D]

        string time = TimeBranch(cx, patches, shapeBcpd);
        string magnitudes = OnnxSpectrum.Magnitude(g, patches, patchSize, spectrum);   // [B, C, P, bins]
        string embedding = g.Add(time, cx.Linear(magnitudes, "patch_embedding.spectral_proj.0"));

        // One-hot channel embedding: input channel i adds row i of (W^T + b), exactly what
        // Linear(one_hot(i)) gives. Rows 0..C-1 are sliced with C from the input's shape.
        var channel = cx.W("patch_embedding.channel_embedding.weight");                 // [D, slots]
        var channelBias = cx.W("patch_embedding.channel_embedding.bias");
        long slots = channel.Shape[1];
        float[] table = OnnxGraphBuilder.Transposed(channel.Data, dim, slots);
        for (int s = 0; s < slots; s++)
        {
            for (int d = 0; d < dim; d++) table[s * dim + d] += channelBias.Data[d];
        }
        string tableValue = g.Float32("patch_embedding.channel_table", [slots, 1, dim], table);
        string channels = g.Shape(scaled, 1, 2);
        embedding = g.Add(embedding, g.Slice(tableValue, [0], channels, [0]));          // + [C, 1, D]

        // Depthwise (1, 5) convolution over the patch axis on [B, D, C, P], added.
        string temporal = g.Transpose(embedding, 0, 3, 1, 2);
        temporal = g.ToFloat32(Conv(cx, g.ToCompute(temporal), "patch_embedding.time_encoding.0", stride: 1, padding: 2, groups: dim));
        embedding = g.Add(embedding, g.Transpose(temporal, 0, 2, 3, 1));
        return (embedding, shapeBcpd);
    }

    /// <summary>
    /// <c>proj_in</c>: every patch through the convolutions as one image row, <c>[B, 1, C*P, patch_size]</c>
    /// -> <c>[B, K, C*P, L]</c>, then flattened to <c>[B, C, P, K*L]</c> with d = k * L + t.
    /// </summary>
    private static string TimeBranch(OnnxExportContext cx, string patches, string shapeBcpd)
    {
        var g = cx.G;
        string x = g.Reshape(patches, 0, 1, -1, cx.Config.PatchSize);
        for (int i = 0; i < cx.Config.Convolutions.Count; i++)
        {
            var spec = cx.Config.Convolutions[i];
            string conv = g.ToFloat32(Conv(cx, g.ToCompute(x), $"patch_embedding.proj_in.{3 * i}", spec.Stride, spec.Padding, groups: 1));
            x = g.Gelu(GroupNorm(cx, conv, $"patch_embedding.proj_in.{3 * i + 1}", spec.NormGroups, spec.OutChannels), OnnxProto.DataType.Float);
        }
        return g.Reshape(g.Transpose(x, 0, 2, 1, 3), shapeBcpd);
    }

    /// <summary>A torch Conv2d with kernel (1, k) on <c>[N, Cin, H, W]</c>, weights in the compute type.</summary>
    private static string Conv(OnnxExportContext cx, string x, string key, int stride, int padding, int groups)
    {
        var g = cx.G;
        var weight = cx.W(key + ".weight");                                             // [out, in/groups, 1, k]
        var bias = cx.W(key + ".bias");
        string w = g.Weight(key + ".weight", weight.Shape, weight.Data);
        string b = g.Weight(key + ".bias", bias.Shape, bias.Data);
        return g.Node("Conv", [x, w, b],
        [
            OnnxAttribute.Ints("kernel_shape", 1, weight.Shape[3]),
            OnnxAttribute.Ints("strides", 1, stride),
            OnnxAttribute.Ints("pads", 0, padding, 0, padding),
            OnnxAttribute.Int("group", groups),
        ]);
    }

    /// <summary>torch GroupNorm (eps 1e-5) on float32 <c>[N, K, H, W]</c>: statistics per (sample, group) over its channels and positions.</summary>
    private static string GroupNorm(OnnxExportContext cx, string x, string key, int groups, int channels)
    {
        var g = cx.G;
        string grouped = g.Reshape(x, 0, groups, -1);                                   // [N, G, K/G * H * W]
        string normalised = g.Node("InstanceNormalization",
            [grouped, g.Float32(key + ".instance_scale", [groups], Enumerable.Repeat(1f, groups).ToArray()),
             g.Float32(key + ".instance_bias", [groups], new float[groups])],
            [OnnxAttribute.Float("epsilon", 1e-5f)]);
        string restored = g.Reshape(normalised, g.Shape(x, 0, 4));
        string gamma = g.Float32(key + ".weight", [channels, 1, 1], cx.W(key + ".weight").Data);
        string beta = g.Float32(key + ".bias", [channels, 1, 1], cx.W(key + ".bias").Data);
        return g.Add(g.Mul(restored, gamma), beta);
    }
}

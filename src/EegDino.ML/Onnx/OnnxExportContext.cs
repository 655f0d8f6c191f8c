using EegDino.ML.Weights;

namespace EegDino.ML.Onnx;

/// <summary>What every part of the exported network needs: the graph builder, the loaded weights by checkpoint key, the architecture.</summary>
internal sealed class OnnxExportContext(OnnxGraphBuilder graph, IReadOnlyDictionary<string, WeightTensor> weights, EegDinoConfig config)
{
    public OnnxGraphBuilder G { get; } = graph;

    public EegDinoConfig Config { get; } = config;

    /// <summary>The weight under <paramref name="key"/>; the weights come from a strictly loaded network, so a miss is a bug.</summary>
    public WeightTensor W(string key) =>
        weights.TryGetValue(key, out var w) ? w : throw new InvalidOperationException($"The loaded network has no weight '{key}'.");

    /// <summary>A torch <c>Linear</c> under <paramref name="key"/> (<c>key.weight</c>, <c>key.bias</c>) on a float32 value, computed in the compute type, returned as float32.</summary>
    public string Linear(string x, string key) =>
        G.ToFloat32(G.Linear(G.ToCompute(x), key, W(key + ".weight"), W(key + ".bias")));
}

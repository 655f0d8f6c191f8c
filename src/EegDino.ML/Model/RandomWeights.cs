using EegDino.ML.Weights;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Random weights of a given architecture, as a checkpoint would carry them: normal(0, 0.02) for
/// every matrix, embedding and bias, 1 and 0 for the normalisation scales and shifts, so activations
/// stay in the range a trained model has (speed does not depend on the values; NaN-free inputs do).
/// </summary>
internal static class RandomWeights
{
    /// <summary>The weights, in the released key names, with the configuration stated in the metadata.</summary>
    public static NetworkWeights Create(EegDinoConfig config, int seed)
    {
        Dictionary<string, WeightTensor> tensors;
        using (var network = new EegDinoNetwork(config, numberOfClasses: null))
        {
            manual_seed(seed);
            using (no_grad())
            {
                foreach (var (name, parameter) in network.named_parameters())
                {
                    if (IsNormalisation(name))
                        TorchScalars.FillInPlace(parameter, name.EndsWith("weight", StringComparison.Ordinal) ? 1 : 0);
                    else
                        parameter.normal_(0, 0.02);
                }
            }
            tensors = NetworkWeights.Extract(network);
        }
        var contents = new CheckpointContents("random", tensors, new Dictionary<string, string> { ["config"] = config.ToJson() });
        return NetworkWeights.FromContents(contents, EegDinoWeightSource.Student, config, $"random weights (seed {seed})");
    }

    // proj_in.1/4/7 are the patch embedding's GroupNorms.
    private static bool IsNormalisation(string name) =>
        name.Contains("norm", StringComparison.Ordinal) || name.Contains("proj_in.1.", StringComparison.Ordinal)
        || name.Contains("proj_in.4.", StringComparison.Ordinal) || name.Contains("proj_in.7.", StringComparison.Ordinal);
}

using EegDino.ML.Model;

namespace EegDino.ML;

/// <summary>
/// A fine-tuned EEG-DINO classifier for direct use: the encoder plus its classification head
/// (<c>final_layer</c>: token projection, mean over channels, time projection, mean over patches,
/// three-layer MLP). Input conventions as <see cref="EegDinoEncoder"/>. Thread-safe (calls are serialised).
/// </summary>
public sealed class EegDinoClassifier : IDisposable
{
    private readonly RuntimeLease _lease;

    private EegDinoClassifier(RuntimeLease lease) => _lease = lease;

    private EegDinoRuntime _runtime
    {
        get
        {
            ObjectDisposedException.ThrowIf(_lease.IsReleased, this);
            return _lease.Runtime;
        }
    }

    /// <summary>
    /// Loads a model with a head: safetensors, braindecode-style folder or torch checkpoint, with the
    /// head in braindecode's names (<c>final_layer.*</c>) or the original fine-tuning code's
    /// (<c>full_linear</c>, <c>channel_linear</c>, <c>classifier.*</c>).
    /// </summary>
    /// <param name="modelPath">A model file or folder.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>The loaded classifier.</returns>
    /// <exception cref="EegDinoModelFormatException">The file cannot be read or has no head.</exception>
    /// <exception cref="EegDinoWeightsMismatchException">Weights are missing, unexpected or mis-shaped.</exception>
    public static EegDinoClassifier Load(string modelPath, EegDinoEncoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return new EegDinoClassifier(EegDinoRuntime.Load(modelPath, options?.Model, requireHead: true));
    }

    /// <summary>The architecture of the loaded model.</summary>
    public EegDinoConfig Config => _runtime.Config;

    /// <summary>Number of classes of the head.</summary>
    public int NumberOfClasses => _runtime.Network.Head!.NumberOfClasses;

    /// <summary>Class logits of a batch <c>[B, C, T]</c>, row-major <c>[B, classes]</c>, in one forward pass.</summary>
    /// <param name="signals">B x C x T samples: recording by recording, each channel-major.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="numberOfChannels">C, from 1 to 19.</param>
    /// <returns>Logits (apply softmax for probabilities, see <see cref="PredictProbabilities"/>).</returns>
    public float[] PredictLogits(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels) =>
        Predict(signals, batchSize, numberOfChannels, EncoderOutput.Logits);

    /// <summary>Class probabilities (softmax of the logits) of a batch, row-major <c>[B, classes]</c>.</summary>
    /// <param name="signals">B x C x T samples: recording by recording, each channel-major.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="numberOfChannels">C, from 1 to 19.</param>
    /// <returns>Probabilities summing to 1 per recording.</returns>
    public float[] PredictProbabilities(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels) =>
        Predict(signals, batchSize, numberOfChannels, EncoderOutput.Probabilities);

    private float[] Predict(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EncoderOutput output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new float[batchSize * NumberOfClasses];
        _runtime.Compute(signals, batchSize, numberOfChannels, output, result);
        return result;
    }

    /// <summary>Frees the native weights.</summary>
    public void Dispose() => _lease.Dispose();
}

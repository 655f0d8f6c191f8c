using EegDino.ML.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// A loaded network on its device with its input conventions: turns managed input into a scaled
/// tensor after checking it, runs the forward pass in inference mode inside a dispose scope, and
/// serialises calls (one forward at a time per network). Shared by <see cref="EegDinoEncoder"/>,
/// <see cref="EegDinoClassifier"/>, the ML.NET transform and the trainer.
/// </summary>
internal sealed class EegDinoRuntime : IDisposable
{
    private readonly object _gate = new();
    private bool _disposed;

    private EegDinoRuntime(EegDinoNetwork network, Device device, EegDinoEncoderOptions options, string description)
    {
        Network = network;
        Device = device;
        Options = options;
        Description = description;
    }

    public EegDinoNetwork Network { get; }

    public Device Device { get; }

    public EegDinoEncoderOptions Options { get; }

    public EegDinoConfig Config => Network.Config;

    public string Description { get; }

    /// <summary>
    /// Loads a model path with a copy of <paramref name="options"/> (defaults when null), keeping the
    /// head when the weights have one; <paramref name="requireHead"/> makes a missing head an error.
    /// </summary>
    public static EegDinoRuntime Load(string modelPath, EegDinoEncoderOptions? options, bool requireHead)
    {
        options = options?.Clone() ?? new EegDinoEncoderOptions();
        var weights = NetworkWeights.Load(modelPath, options.WeightSource, options.Config);
        if (requireHead && weights.HeadClasses is null)
            throw new EegDinoModelFormatException($"'{modelPath}' has no classification head (final_layer.* or full_linear/channel_linear/classifier.*); use EegDinoEncoder for an encoder-only model.");
        return Create(weights, options, withHead: weights.HeadClasses is not null);
    }

    public static EegDinoRuntime Create(NetworkWeights weights, EegDinoEncoderOptions options, bool withHead)
    {
        options.Validate();
        if (options.Precision != EegDinoPrecision.Float32)
            throw new NotSupportedException($"Precision {options.Precision} is not implemented yet; use Float32.");
        Device device = ResolveDevice(options.Device);
        int? classes = withHead ? weights.HeadClasses : null;
        var network = new EegDinoNetwork(weights.Config, classes);
        try
        {
            weights.CopyTo(network, ignoreHead: !withHead);
            network.eval();
            network.to(device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new EegDinoRuntime(network, device, options, weights.Description);
    }

    public static Device ResolveDevice(string name)
    {
        string normalised = name.Trim().ToLowerInvariant();
        if (normalised == "cpu") return CPU;
        if (normalised == "cuda" || normalised.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new EegDinoException($"Device '{name}' was asked for, but CUDA is not available: the application needs the TorchSharp CUDA backend package (e.g. TorchSharp-cuda-linux) and a CUDA device.");
            return new Device(normalised);
        }
        throw new ArgumentException($"Device is '{name}'; expected \"cpu\", \"cuda\" or \"cuda:N\".", nameof(name));
    }

    /// <summary>
    /// Checks a batch <c>[B, C, T]</c> given flat, channel-major per recording, and returns it as a
    /// scaled float32 tensor on the device, in the caller's dispose scope.
    /// </summary>
    public Tensor ToInputTensor(float[] signals, int batchSize, int numberOfChannels)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int slots = Config.NumberOfChannelEmbeddings;
        if (numberOfChannels < 1 || numberOfChannels > slots)
            throw new ArgumentOutOfRangeException(nameof(numberOfChannels), numberOfChannels,
                $"numberOfChannels is {numberOfChannels}; EEG-DINO has {slots} channel slots, so 1 to {slots} channels are accepted.");
        if (signals.Length == 0)
            throw new ArgumentException("The signal is empty; at least one sample per channel is needed.", nameof(signals));
        long perRow = (long)numberOfChannels;
        if (signals.Length % (batchSize * perRow) != 0)
            throw new ArgumentException(
                $"The signal has {signals.Length} values, which is not {batchSize} recording(s) x {numberOfChannels} channels x a whole number of samples.",
                nameof(signals));
        int samples = signals.Length / (batchSize * numberOfChannels);
        int bad = IndexOfNonFinite(signals);
        if (bad >= 0)
        {
            int row = bad / (numberOfChannels * samples), channel = bad / samples % numberOfChannels, sample = bad % samples;
            throw new ArgumentException(
                $"The signal holds {signals[bad]} at batch row {row}, channel {channel}, sample {sample}; EEG-DINO needs finite values (interpolate or drop bad segments first).",
                nameof(signals));
        }

        Tensor input = tensor(signals, [batchSize, numberOfChannels, samples], dtype: ScalarType.Float32);
        Tensor onDevice = Device.type == DeviceType.CPU ? input : input.to(Device);
        return Options.InputScale == 1f ? onDevice : TorchScalars.Multiply(onDevice, Options.InputScale);
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }
        return -1;
    }

    /// <summary>Runs <paramref name="body"/> under the network's lock, without autograd, in a dispose scope.</summary>
    public T Run<T>(Func<T> body)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return body();
        }
    }

    public EegDinoEncoding Encode(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels) =>
        EncodeAndClassify(signals, batchSize, numberOfChannels, classify: false).Encoding;

    /// <summary>One forward pass giving the encoding and, when asked and the network has a head, the logits <c>[B, classes]</c>.</summary>
    public (EegDinoEncoding Encoding, float[]? Logits) EncodeAndClassify(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, bool classify)
    {
        float[] copy = signals.ToArray();
        return Run(() =>
        {
            Tensor input = ToInputTensor(copy, batchSize, numberOfChannels);
            Tensor tokens = Network.Encode(input, null);
            float[]? logits = classify && Network.Head is not null ? ToArray(Network.Classify(tokens, numberOfChannels)) : null;
            return (ToEncoding(tokens, numberOfChannels), logits);
        });
    }

    public EegDinoEncoding ToEncoding(Tensor tokens, int numberOfChannels)
    {
        int g = Config.NumberOfGlobalTokens;
        int batch = (int)tokens.shape[0], count = (int)tokens.shape[1], dim = (int)tokens.shape[2];
        Tensor global = tokens.narrow(1, 0, g).mean([1]);
        Tensor pooled = tokens.narrow(1, g, count - g).mean([1]);
        return new EegDinoEncoding(batch, numberOfChannels, (count - g) / numberOfChannels, dim, g,
            ToArray(tokens), ToArray(global), ToArray(pooled));
    }

    public static float[] ToArray(Tensor t) => t.detach().cpu().contiguous().data<float>().ToArray();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Network.Dispose();
        }
    }
}

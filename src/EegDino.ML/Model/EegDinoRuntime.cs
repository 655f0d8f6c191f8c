using System.Globalization;
using EegDino.ML.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>What one forward pass copies back to managed memory (only that is computed and copied).</summary>
internal enum EncoderOutput
{
    /// <summary>Every token <c>[B, G + C*P, D]</c>.</summary>
    Tokens,

    /// <summary>Mean of the global tokens <c>[B, D]</c>.</summary>
    GlobalToken,

    /// <summary>Mean of the patch tokens <c>[B, D]</c>.</summary>
    PooledMean,

    /// <summary>The head's class logits <c>[B, classes]</c>.</summary>
    Logits,

    /// <summary>Softmax of the logits <c>[B, classes]</c>.</summary>
    Probabilities,
}

/// <summary>
/// The road of every inference: a loaded network on its device with its input conventions. It is
/// the only place where managed signals become validated, scaled tensors (<see cref="EegDinoInput"/>),
/// where the forward pass runs (inference mode, one dispose scope, one pass at a time per network),
/// and where the requested output, and only it, is checked for NaN/infinity and copied out. The
/// encoder, the classifier, both ML.NET transformers, the trainer's model and the corpus job all call it.
/// </summary>
/// <remarks>
/// Lifetime: the native network is shared through <see cref="RuntimeLease"/>s, one per holder
/// (encoder, transformer, each PredictionEngine's mapper); it is freed when the last lease is
/// released. A lease that is never disposed is released by its finalizer.
/// </remarks>
internal sealed class EegDinoRuntime
{
    private readonly object _gate = new();
    private readonly HostStaging _staging = new();
    private int _leases;
    private bool _freed;

    private EegDinoRuntime(EegDinoNetwork network, Device device, EegDinoModelOptions options, string description, EegDinoInputContract? storedContract)
    {
        Network = network;
        Device = device;
        Options = options;
        Description = description;
        StoredContract = storedContract;
    }

    public EegDinoNetwork Network { get; }

    public Device Device { get; }

    /// <summary>The options the network was loaded with (a private copy; never changed).</summary>
    public EegDinoModelOptions Options { get; }

    public EegDinoConfig Config => Network.Config;

    public string Description { get; }

    /// <summary>The input contract found in the weights' metadata, if the file had one.</summary>
    public EegDinoInputContract? StoredContract { get; }

    /// <summary>Called with the batch size of every forward pass (tests count passes through it).</summary>
    internal Action<int>? ForwardObserver { get; set; }

    /// <summary>
    /// Loads a model path with a copy of <paramref name="options"/> (defaults when null), keeping the
    /// head when the weights have one; <paramref name="requireHead"/> makes a missing head an error.
    /// </summary>
    public static RuntimeLease Load(string modelPath, EegDinoModelOptions? options, bool requireHead)
    {
        options = options?.Clone() ?? new EegDinoModelOptions();
        options.Validate();
        var weights = NetworkWeights.Load(modelPath, options.WeightSource, options.Config);
        if (requireHead && weights.HeadClasses is null)
            throw new EegDinoModelFormatException($"'{modelPath}' has no classification head (final_layer.* or full_linear/channel_linear/classifier.*); use EegDinoEncoder for an encoder-only model.");
        return Create(weights, options, withHead: weights.HeadClasses is not null);
    }

    /// <summary>
    /// Builds the network for <paramref name="weights"/>: the weights are checked against the
    /// configuration's layout first, so nothing is allocated for a configuration they do not fit.
    /// </summary>
    public static RuntimeLease Create(NetworkWeights weights, EegDinoModelOptions options, bool withHead)
    {
        options.Validate();
        Device device = ResolveDevice(options.Device);
        if (device.type == DeviceType.CUDA)
        {
            // Both of libtorch's process-wide switches: the matmuls', and cuDNN's for the convolutions (true by default in libtorch).
            backends.cuda.matmul.allow_tf32 = options.AllowTf32;
            backends.cudnn.allow_tf32 = options.AllowTf32;
        }
        int? classes = withHead ? weights.HeadClasses : null;
        ParameterLayout.Check(weights.Tensors, weights.Config, classes, ignoreHead: !withHead);
        var network = new EegDinoNetwork(weights.Config, classes);
        try
        {
            weights.CopyTo(network, ignoreHead: !withHead);
            network.eval();
            network.to(device);
            network.SetPrecision(options.Precision); // after the move: the reduced copies are made on the device
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return new EegDinoRuntime(network, device, options, weights.Description + PrecisionSupport.Describe(options.Precision, device), weights.StoredContract).Acquire();
    }

    /// <summary>Takes over a trained network (already on <paramref name="options"/>' device) for inference.</summary>
    public static RuntimeLease FromNetwork(EegDinoNetwork network, EegDinoModelOptions options, string description)
    {
        network.eval();
        Device device = ResolveDevice(options.Device);
        network.SetPrecision(options.Precision); // the trained weights are frozen now: converted once, no longer cast per pass
        return new EegDinoRuntime(network, device, options, description + PrecisionSupport.Describe(options.Precision, device), null).Acquire();
    }

    public static Device ResolveDevice(string name)
    {
        string normalised = name.Trim().ToLowerInvariant();
        if (normalised == "cpu") return CPU;
        if (normalised == "cuda" || normalised.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new EegDinoException($"Device '{name}' was asked for, but CUDA is not available: the application needs the TorchSharp CUDA backend package (e.g. TorchSharp-cuda-linux) and a CUDA device.");
            if (normalised == "cuda:auto") return new Device(LocalGpu(cuda.device_count(), Environment.GetEnvironmentVariable));
            if (normalised.Length > 5)
            {
                if (!int.TryParse(normalised.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                    throw new ArgumentException($"Device is '{name}'; expected \"cuda:N\" with N a device index.", nameof(name));
                int count = cuda.device_count();
                if (index >= count)
                    throw new EegDinoException($"Device '{name}' was asked for, but this machine has {count} CUDA device(s) (0 to {count - 1}).");
            }
            return new Device(normalised);
        }
        if (normalised == "mps")
        {
            // TorchSharp reports MPS (Apple's Metal GPU backend) available on macOS on Apple silicon.
            if (!mps_is_available())
                throw new EegDinoException($"Device '{name}' was asked for, but MPS (Apple's Metal GPU backend) is not available: it needs macOS on Apple silicon (arm64), and this process runs on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} ({System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}). Use \"cpu\", or the ONNX export (docs/onnx.md) for other GPUs.");
            return new Device(DeviceType.MPS);
        }
        throw new ArgumentException($"Device is '{name}'; expected \"cpu\", \"cuda\", \"cuda:N\", \"cuda:auto\" or \"mps\".", nameof(name));
    }

    /// <summary>
    /// The device a saved model is loaded on, by ML.NET's conventions for the MLContext that loads it:
    /// <c>mlContext.GpuDeviceId</c> set asks for that GPU; a model saved for a GPU that this machine does
    /// not have is loaded on the CPU when <c>mlContext.FallbackToCpu</c> is true (with
    /// <paramref name="note"/> saying so), and is an error naming both settings otherwise.
    /// </summary>
    internal static string DeviceForLoad(string saved, bool fallbackToCpu, int? gpuDeviceId, out string? note)
    {
        note = null;
        bool wantsGpu = gpuDeviceId is not null || saved.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
        if (!wantsGpu) return saved;
        string asked = gpuDeviceId is int id ? string.Create(CultureInfo.InvariantCulture, $"cuda:{id}") : saved;
        if (cuda.is_available()) return asked;
        if (fallbackToCpu)
        {
            note = $"The model was saved for device '{saved}'{(gpuDeviceId is int g ? $" and mlContext.GpuDeviceId is {g}" : "")}, but CUDA is not available here: it runs on the CPU (mlContext.FallbackToCpu).";
            return "cpu";
        }
        throw new EegDinoException(
            $"The model asks for device '{asked}' ({(gpuDeviceId is null ? "saved with it" : "mlContext.GpuDeviceId")}), but CUDA is not available here. " +
            "Set mlContext.FallbackToCpu = true to score it on the CPU, or add a TorchSharp CUDA backend package to the application.");
    }

    /// <summary>
    /// The GPU of this process for <c>"cuda:auto"</c>, one process per GPU: when the scheduler already
    /// gave the process its own GPU (<c>CUDA_VISIBLE_DEVICES</c> naming one device, as Slurm's
    /// <c>--gpus-per-task=1</c> and Kubernetes device plugins do), that one (<c>cuda:0</c>); else the
    /// local rank's (<c>SLURM_LOCALID</c>, then <c>LOCAL_RANK</c>) modulo the visible count; else <c>cuda:0</c>.
    /// </summary>
    internal static string LocalGpu(int visible, Func<string, string?> environment)
    {
        string? devices = environment("CUDA_VISIBLE_DEVICES");
        if (devices is not null && devices.Split(',', StringSplitOptions.RemoveEmptyEntries).Length == 1) return "cuda:0";
        foreach (string name in new[] { "SLURM_LOCALID", "LOCAL_RANK" })
        {
            string? value = environment(name);
            if (value is null) continue;
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int rank))
                throw new ArgumentException($"Device is \"cuda:auto\" and {name} is '{value}'; a whole number >= 0 was expected.");
            return string.Create(CultureInfo.InvariantCulture, $"cuda:{rank % Math.Max(1, visible)}");
        }
        return "cuda:0";
    }

    /// <summary>A new lease on this network.</summary>
    /// <exception cref="ObjectDisposedException">The network was freed.</exception>
    public RuntimeLease Acquire()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            _leases++;
            return new RuntimeLease(this);
        }
    }

    /// <summary>Releases one lease; the last frees the network (from a finalizer, the tensors' own finalizers do).</summary>
    internal void Release(bool finalizing)
    {
        lock (_gate)
        {
            if (--_leases > 0 || _freed) return;
            _freed = true;
            if (finalizing) return;
            Network.Dispose();
            _staging.Dispose();
        }
    }

    /// <summary>Whether the network has been freed.</summary>
    public bool IsFreed
    {
        get { lock (_gate) return _freed; }
    }

    /// <summary>Runs <paramref name="body"/> under the network's lock, without autograd, in a dispose scope.</summary>
    public T Run<T>(Func<T> body)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return body();
        }
    }

    /// <summary>Values per batch row of <paramref name="output"/> for recordings of <paramref name="samplesPerChannel"/> samples.</summary>
    public int OutputLength(EncoderOutput output, int numberOfChannels, int samplesPerChannel) => output switch
    {
        EncoderOutput.Tokens => TokenCount(numberOfChannels, samplesPerChannel) * Config.EmbeddingDim,
        EncoderOutput.GlobalToken or EncoderOutput.PooledMean => Config.EmbeddingDim,
        EncoderOutput.Logits or EncoderOutput.Probabilities => Network.Head?.NumberOfClasses
            ?? throw new InvalidOperationException("The network has no classification head."),
        _ => throw new ArgumentOutOfRangeException(nameof(output), output, "Unknown output."),
    };

    /// <summary>Tokens of one recording: the global tokens plus one per channel and patch.</summary>
    public int TokenCount(int numberOfChannels, int samplesPerChannel) =>
        Config.NumberOfGlobalTokens + numberOfChannels * (int)Network.PatchCount(samplesPerChannel);

    /// <summary>
    /// One forward pass over <paramref name="batchSize"/> recordings <c>[B, C, T]</c>; writes the
    /// requested output, <c>[B, OutputLength]</c>, to <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not accepted (sizes, length, NaN, overflow).</exception>
    /// <exception cref="EegDinoException">The network produced NaN or infinity.</exception>
    public void Compute(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EncoderOutput output, Span<float> destination)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var (tokens, info) = Forward(signals, batchSize, numberOfChannels);
            CopyOut(Select(tokens, output, numberOfChannels), output, info, destination);
        }
    }

    /// <summary>
    /// One forward pass from a tensor <c>[B, C, T]</c> already on the device (any float dtype): the
    /// samples are checked there (NaN, infinity and overflow after scaling, in one reduction) and
    /// never copied through managed memory; only <paramref name="output"/> is copied back. A tensor on
    /// another device, or not float32, is converted first. Located errors come from a host copy of the
    /// input, made only when a check fails.
    /// </summary>
    public void Compute(Tensor input, EncoderOutput output, Span<float> destination)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor x = input.detach();
            if (x.device_type != Device.type || x.device_index != Device.index || x.dtype != ScalarType.Float32)
                x = x.to(ScalarType.Float32, Device);
            long batch = x.shape[0], channels = x.shape[1];
            EegDinoInput.CheckLayout(checked((int)x.numel()), checked((int)batch), checked((int)channels), Config);
            if (!SamplesAreUsable(x, out float largest))
                EegDinoInput.Check(ToArray(x), (int)batch, (int)channels, Config, Options.InputScale); // throws, naming the sample
            Tensor scaled = Options.InputScale == 1f ? x : TorchScalars.Multiply(x, Options.InputScale);
            ForwardObserver?.Invoke((int)batch);
            Tensor tokens = Network.Encode(scaled, null);
            CopyOut(Select(tokens, output, (int)channels), output, new BatchInfo((int)batch, largest * Options.InputScale), destination);
        }
    }

    /// <summary>One forward pass giving every token, the global token, the pooled mean and, with a head, the logits.</summary>
    public EegDinoEncoding Encode(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_freed, this);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var (tokens, info) = Forward(signals, batchSize, numberOfChannels);
            int count = (int)tokens.shape[1], dim = (int)tokens.shape[2];
            var all = new float[(long)batchSize * count * dim];
            var global = new float[batchSize * dim];
            var pooled = new float[batchSize * dim];
            CopyOut(tokens, EncoderOutput.Tokens, info, all);
            CopyOut(Select(tokens, EncoderOutput.GlobalToken, numberOfChannels), EncoderOutput.GlobalToken, info, global);
            CopyOut(Select(tokens, EncoderOutput.PooledMean, numberOfChannels), EncoderOutput.PooledMean, info, pooled);
            float[]? logits = null;
            if (Network.Head is { } head)
            {
                logits = new float[batchSize * head.NumberOfClasses];
                CopyOut(Select(tokens, EncoderOutput.Logits, numberOfChannels), EncoderOutput.Logits, info, logits);
            }
            int g = Config.NumberOfGlobalTokens;
            return new EegDinoEncoding(batchSize, numberOfChannels, (count - g) / numberOfChannels, dim, g, all, global, pooled, logits);
        }
    }

    /// <summary>The checked, scaled input tensor of a batch, in the caller's dispose scope (for callers that tap the network inside <see cref="Run"/>).</summary>
    public Tensor ToInputTensor(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels) =>
        EegDinoInput.ToTensor(signals, batchSize, numberOfChannels, Config, Options.InputScale, Device);

    /// <summary>The encoding of encoder output <paramref name="tokens"/> <c>[B, G + C*P, D]</c> (inside <see cref="Run"/>).</summary>
    public EegDinoEncoding ToEncoding(Tensor tokens, int numberOfChannels)
    {
        int g = Config.NumberOfGlobalTokens;
        int batch = (int)tokens.shape[0], count = (int)tokens.shape[1], dim = (int)tokens.shape[2];
        return new EegDinoEncoding(batch, numberOfChannels, (count - g) / numberOfChannels, dim, g, ToArray(tokens),
            ToArray(Select(tokens, EncoderOutput.GlobalToken, numberOfChannels)), ToArray(Select(tokens, EncoderOutput.PooledMean, numberOfChannels)));
    }

    /// <summary>Facts about one batch for error messages.</summary>
    private readonly record struct BatchInfo(int BatchSize, float LargestScaledSample);

    private (Tensor Tokens, BatchInfo Info) Forward(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels)
    {
        if (Device.type == DeviceType.CPU)
        {
            var checkedInput = EegDinoInput.Check(signals, batchSize, numberOfChannels, Config, Options.InputScale);
            Tensor input = EegDinoInput.ToTensor(signals, checkedInput, Options.InputScale, Device, _staging);
            ForwardObserver?.Invoke(batchSize);
            return (Network.Encode(input, null), new BatchInfo(batchSize, checkedInput.LargestMagnitude * Options.InputScale));
        }
        // On a GPU the samples are checked there, after the copy (one reduction instead of a scan of
        // every sample on the host: at batch 256 the scan took longer than the copy); a failed check
        // scans on the host to name the row, channel and sample.
        int samples = EegDinoInput.CheckLayout(signals.Length, batchSize, numberOfChannels, Config);
        Tensor raw = _staging.Upload(signals, [batchSize, numberOfChannels, samples], Device);
        if (!SamplesAreUsable(raw, out float largest))
            EegDinoInput.Check(signals, batchSize, numberOfChannels, Config, Options.InputScale); // throws, naming the sample
        Tensor scaled = Options.InputScale == 1f ? raw : TorchScalars.Multiply(raw, Options.InputScale);
        ForwardObserver?.Invoke(batchSize);
        return (Network.Encode(scaled, null), new BatchInfo(batchSize, largest * Options.InputScale));
    }

    /// <summary>
    /// Whether samples already on the device are finite and stay finite after the input scale, in one
    /// reduction (libtorch's max propagates NaN, and an infinity is its own maximum);
    /// <paramref name="largest"/> is the largest magnitude before scaling.
    /// </summary>
    private bool SamplesAreUsable(Tensor samples, out float largest)
    {
        largest = samples.abs().max().item<float>();
        return float.IsFinite(largest) && (double)largest * Options.InputScale <= float.MaxValue;
    }

    private Tensor Select(Tensor tokens, EncoderOutput output, int numberOfChannels)
    {
        int g = Config.NumberOfGlobalTokens;
        long count = tokens.shape[1];
        return output switch
        {
            EncoderOutput.Tokens => tokens,
            EncoderOutput.GlobalToken => tokens.narrow(1, 0, g).mean([1]),
            EncoderOutput.PooledMean => tokens.narrow(1, g, count - g).mean([1]),
            EncoderOutput.Logits => Network.Classify(tokens, numberOfChannels),
            EncoderOutput.Probabilities => nn.functional.softmax(Network.Classify(tokens, numberOfChannels), 1),
            _ => throw new ArgumentOutOfRangeException(nameof(output), output, "Unknown output."),
        };
    }

    /// <summary>Copies <paramref name="result"/> into <paramref name="destination"/>; NaN or infinity there is an error, never a result.</summary>
    private void CopyOut(Tensor result, EncoderOutput output, BatchInfo info, Span<float> destination)
    {
        if (result.numel() != destination.Length)
            throw new ArgumentException($"The {output} output has {result.numel()} values; the destination holds {destination.Length}.", nameof(destination));
        HostStaging.Download(result, destination);
        for (int i = 0; i < destination.Length; i++)
        {
            if (float.IsFinite(destination[i])) continue;
            int row = i / (destination.Length / info.BatchSize);
            throw new EegDinoException(
                string.Create(CultureInfo.InvariantCulture, $"The network produced {destination[i]} in its {output} output for batch row {row} ({Options.Precision}). ") +
                "The weights are finite (checked at load), so a value overflowed inside the network: " +
                string.Create(CultureInfo.InvariantCulture, $"the largest input after scaling is {info.LargestScaledSample:G4} (InputScale {Options.InputScale:R}); ") +
                "check the input's units and InputScale (0.01 for microvolts).");
        }
    }

    public static float[] ToArray(Tensor t)
    {
        using var scope = NewDisposeScope(); // roots the intermediate tensors until their native calls return
        return t.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
    }
}

/// <summary>
/// One holder's share of a <see cref="EegDinoRuntime"/>. Dispose is idempotent; the network is
/// freed when the last lease is released (by Dispose or, for a forgotten lease, its finalizer).
/// </summary>
internal sealed class RuntimeLease : IDisposable
{
    private int _released;

    internal RuntimeLease(EegDinoRuntime runtime) => Runtime = runtime;

    public EegDinoRuntime Runtime { get; }

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Another lease on the same network.</summary>
    public RuntimeLease Share() => Runtime.Acquire();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        GC.SuppressFinalize(this);
        Runtime.Release(finalizing: false);
    }

    ~RuntimeLease()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) Runtime.Release(finalizing: true);
    }
}

using EegDino.ML.Model;
using EegDino.ML.Weights;

namespace EegDino.ML;

/// <summary>
/// The EEG-DINO encoder for direct use: load a model, encode recordings. Input is EEG of 1 to 19
/// channels (channel i uses the model's channel slot i) at 200 Hz, in microvolts by default (see
/// <see cref="EegDinoEncoderOptions.InputScale"/>), of any length: it is right-padded with zeros to
/// whole 200-sample patches, as braindecode does. One call is one forward pass.
/// </summary>
/// <remarks>
/// Thread-safe: calls on one encoder are serialised (one forward pass at a time). Dispose it to free
/// the native weights.
/// </remarks>
/// <example>
/// <code>
/// using var encoder = EegDinoEncoder.Load("model.safetensors");
/// EegDinoEncoding e = encoder.Encode(signal, numberOfChannels: 19); // signal: 19 x T microvolts, channel-major
/// ReadOnlySpan&lt;float&gt; embedding = e.GetPooledMean(0);
/// </code>
/// </example>
public sealed class EegDinoEncoder : IDisposable
{
    private readonly RuntimeLease _lease;

    private EegDinoEncoder(RuntimeLease lease) => _lease = lease;

    private EegDinoRuntime _runtime
    {
        get
        {
            ObjectDisposedException.ThrowIf(_lease.IsReleased, this);
            return _lease.Runtime;
        }
    }

    /// <summary>
    /// Loads a model: a safetensors file in the released key names, a braindecode-style folder
    /// (<c>config.json</c> + <c>model.safetensors</c>) or a torch <c>.pt</c> checkpoint. The
    /// configuration comes from <see cref="EegDinoEncoderOptions.Config"/>, else from the file, else
    /// it is detected from the weight shapes. A classification head in the file is kept (see
    /// <see cref="HasHead"/>) but not used for encoding.
    /// </summary>
    /// <param name="modelPath">A model file or folder.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>The loaded encoder.</returns>
    /// <exception cref="EegDinoModelFormatException">The file cannot be read or its configuration is invalid.</exception>
    /// <exception cref="EegDinoWeightsMismatchException">Weights are missing, unexpected or mis-shaped.</exception>
    public static EegDinoEncoder Load(string modelPath, EegDinoEncoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return new EegDinoEncoder(EegDinoRuntime.Load(modelPath, options?.Model, requireHead: false));
    }

    /// <summary>Loads a model from a safetensors stream, such as one written by <see cref="SaveWeights"/>.</summary>
    /// <param name="safetensors">A seekable stream positioned at the start of the safetensors data.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>The loaded encoder.</returns>
    public static EegDinoEncoder Load(Stream safetensors, EegDinoEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(safetensors);
        var model = options?.Model.Clone() ?? new EegDinoModelOptions();
        model.Validate();
        var (tensors, metadata) = SafetensorsReader.Read(safetensors, "stream");
        var weights = NetworkWeights.FromContents(new CheckpointContents("safetensors", tensors, metadata), model.WeightSource, model.Config, "stream");
        return new EegDinoEncoder(EegDinoRuntime.Create(weights, model, withHead: weights.HeadClasses is not null));
    }

    /// <summary>
    /// An encoder of the given architecture with random weights (normal, standard deviation 0.02;
    /// normalisation layers at scale 1, shift 0), as braindecode's <c>EEGDINO(...)</c> constructor
    /// gives: for speed measurements (<c>eegdino bench</c>), tests, and as the start of training
    /// from scratch. The same <paramref name="seed"/> gives the same weights.
    /// </summary>
    /// <param name="config">The architecture, e.g. <see cref="EegDinoConfig.FromPreset"/>.</param>
    /// <param name="options">Options (device, precision, input scale); null for the defaults. <see cref="EegDinoEncoderOptions.Config"/> is ignored.</param>
    /// <param name="seed">Seed of torch's generator for the weights (the global torch seed is changed).</param>
    /// <returns>The encoder, without a classification head.</returns>
    public static EegDinoEncoder CreateRandom(EegDinoConfig config, EegDinoEncoderOptions? options = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        var model = options?.Model.Clone() ?? new EegDinoModelOptions();
        model.Config = config;
        model.Validate(); // before the weights are made: a bad option costs nothing
        return new EegDinoEncoder(EegDinoRuntime.Create(RandomWeights.Create(config, seed), model, withHead: false));
    }

    /// <summary>The architecture of the loaded model.</summary>
    public EegDinoConfig Config => _runtime.Config;

    /// <summary>A copy of the options the encoder was loaded with.</summary>
    public EegDinoEncoderOptions Options => new() { Model = _runtime.Options.Clone() };

    /// <summary>
    /// The input this encoder expects: its channel names (from the options, else from the file's own
    /// contract) and count (the model's channel slots when unnamed), rate and input scale; any length.
    /// </summary>
    public EegDinoInputContract InputContract => ContractOf(_runtime);

    /// <summary>Embedding width D.</summary>
    public int EmbeddingDim => _runtime.Config.EmbeddingDim;

    /// <summary>Whether the loaded weights include a classification head (<c>final_layer</c>).</summary>
    public bool HasHead => _runtime.Network.Head is not null;

    /// <summary>Format, configuration and skipped checkpoint entries of the loaded model, for logs.</summary>
    public string Description => _runtime.Description;

    internal EegDinoRuntime Runtime => _runtime;

    /// <summary>Encodes one recording <c>[C, T]</c>.</summary>
    /// <param name="signal">C x T samples, channel-major (channel 0's samples, then channel 1's, ...).</param>
    /// <param name="numberOfChannels">C, from 1 to 19.</param>
    /// <returns>The encoding, batch size 1.</returns>
    /// <exception cref="ArgumentException">Bad sizes, or a NaN or infinite sample (named by row, channel and sample).</exception>
    public EegDinoEncoding Encode(float[] signal, int numberOfChannels)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return _runtime.Encode(signal, 1, numberOfChannels);
    }

    /// <summary>Encodes a batch <c>[B, C, T]</c> in one forward pass.</summary>
    /// <param name="signals">B x C x T samples: recording by recording, each channel-major.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="numberOfChannels">C, from 1 to 19.</param>
    /// <returns>The encoding of the batch.</returns>
    /// <exception cref="ArgumentException">Bad sizes, or a NaN or infinite sample (named by row, channel and sample).</exception>
    public EegDinoEncoding EncodeBatch(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels) =>
        _runtime.Encode(signals, batchSize, numberOfChannels);

    /// <summary>
    /// Embeds a batch <c>[B, C, T]</c> in one forward pass, computing and copying back only the
    /// requested vector per recording: the fast path when the tokens are not needed (on a GPU, the
    /// tokens of a batch are far more than its input to copy back).
    /// </summary>
    /// <param name="signals">B x C x T samples: recording by recording, each channel-major.</param>
    /// <param name="batchSize">B.</param>
    /// <param name="numberOfChannels">C, from 1 to the model's channel slots.</param>
    /// <param name="kind"><see cref="EegDinoEmbeddingKind.PooledMean"/> (default), <see cref="EegDinoEmbeddingKind.GlobalToken"/> or <see cref="EegDinoEmbeddingKind.Tokens"/>.</param>
    /// <returns><c>[B, length]</c> row-major (D per recording for the pooled kinds).</returns>
    /// <exception cref="ArgumentException">Bad sizes, or a NaN, infinite or overflowing sample (named by row, channel and sample).</exception>
    public float[] Embed(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EegDinoEmbeddingKind kind = EegDinoEmbeddingKind.PooledMean)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        EncoderOutput output = MLNet.EmbeddingComputation.OutputOf(kind);
        int samples = numberOfChannels > 0 ? signals.Length / batchSize / numberOfChannels : 0;
        var result = new float[batchSize * (numberOfChannels > 0 && samples > 0 ? _runtime.OutputLength(output, numberOfChannels, samples) : 0)];
        _runtime.Compute(signals, batchSize, numberOfChannels, output, result);
        return result;
    }

    /// <summary>
    /// Embeds a TorchSharp tensor <c>[B, C, T]</c> (or <c>[C, T]</c>) of any float dtype. A tensor already
    /// on the encoder's device is used where it is, checked there and never copied through managed
    /// memory; only the requested vectors come back. The caller keeps ownership of <paramref name="input"/>.
    /// </summary>
    /// <param name="input">The signal, in the units <see cref="EegDinoEncoderOptions.InputScale"/> expects.</param>
    /// <param name="kind">As in <see cref="Embed(ReadOnlySpan{float}, int, int, EegDinoEmbeddingKind)"/>.</param>
    /// <returns><c>[B, length]</c> row-major.</returns>
    /// <exception cref="ArgumentException">The rank is not 2 or 3, or the sizes or values are not accepted.</exception>
    public float[] Embed(TorchSharp.torch.Tensor input, EegDinoEmbeddingKind kind = EegDinoEmbeddingKind.PooledMean)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() is not (2 or 3))
            throw new ArgumentException($"The input tensor has rank {input.dim()} (shape [{string.Join(", ", input.shape)}]); [C, T] or [B, C, T] was expected.", nameof(input));
        if (input.numel() == 0) throw new ArgumentException("The input tensor is empty; at least one sample per channel is needed.", nameof(input));
        using var scope = TorchSharp.torch.NewDisposeScope();
        TorchSharp.torch.Tensor batch = input.dim() == 2 ? input.unsqueeze(0) : input;
        int b = checked((int)batch.shape[0]), c = checked((int)batch.shape[1]), t = checked((int)batch.shape[2]);
        if (c < 1 || c > Config.NumberOfChannelEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(input), c, $"The input has {c} channels; the model has {Config.NumberOfChannelEmbeddings} channel slots.");
        EncoderOutput output = MLNet.EmbeddingComputation.OutputOf(kind);
        var result = new float[b * _runtime.OutputLength(output, c, t)];
        _runtime.Compute(batch, output, result);
        return result;
    }

    /// <summary>
    /// Encodes a TorchSharp tensor: one recording <c>[C, T]</c> or a batch <c>[B, C, T]</c>, any float
    /// dtype, on any device (it is copied to the encoder's device). The caller keeps ownership of
    /// <paramref name="input"/>.
    /// </summary>
    /// <param name="input">The signal, in the units <see cref="EegDinoEncoderOptions.InputScale"/> expects.</param>
    /// <returns>The encoding.</returns>
    /// <exception cref="ArgumentException">The rank is not 2 or 3, or the sizes or values are not accepted.</exception>
    public EegDinoEncoding Encode(TorchSharp.torch.Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() is not (2 or 3))
            throw new ArgumentException($"The input tensor has rank {input.dim()} (shape [{string.Join(", ", input.shape)}]); [C, T] or [B, C, T] was expected.", nameof(input));
        long[] shape = input.dim() == 2 ? [1, input.shape[0], input.shape[1]] : input.shape;
        float[] values;
        using (TorchSharp.torch.NewDisposeScope()) // roots the intermediate tensors until their native calls return
        {
            values = input.detach().to(TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.CPU).contiguous().data<float>().ToArray();
        }
        return _runtime.Encode(values, checked((int)shape[0]), checked((int)shape[1]));
    }

    /// <summary>
    /// Embeds windows (e.g. from <see cref="Eeg.EegWindower"/>) in forward passes of up to
    /// <paramref name="batchSize"/> windows of one shape, lazily and in order, computing and copying
    /// back only the requested vector per window.
    /// </summary>
    /// <param name="windows">The windows (signals in microvolts, or in the units <see cref="EegDinoEncoderOptions.InputScale"/> expects).</param>
    /// <param name="kind"><see cref="EegDinoEmbeddingKind.PooledMean"/> (default) or <see cref="EegDinoEmbeddingKind.GlobalToken"/>.</param>
    /// <param name="batchSize">Windows per forward pass (default 16).</param>
    /// <returns>Each window with its embedding of <see cref="EmbeddingDim"/> values.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not a pooled kind, or a window is not accepted.</exception>
    public IEnumerable<(Eeg.EegWindow Window, float[] Embedding)> EmbedWindows(IEnumerable<Eeg.EegWindow> windows,
        EegDinoEmbeddingKind kind = EegDinoEmbeddingKind.PooledMean, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (kind is not (EegDinoEmbeddingKind.PooledMean or EegDinoEmbeddingKind.GlobalToken))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind is {kind}; one vector per window is PooledMean or GlobalToken.");
        return EmbedWindowsCore(windows, kind, batchSize);
    }

    private IEnumerable<(Eeg.EegWindow Window, float[] Embedding)> EmbedWindowsCore(IEnumerable<Eeg.EegWindow> windows, EegDinoEmbeddingKind kind, int batchSize)
    {
        var ready = new Queue<(Eeg.EegWindow, float[])>();
        var batcher = new Corpus.WindowBatcher<int>(_runtime, MLNet.EmbeddingComputation.OutputOf(kind), batchSize, (batch, embeddings, dim) =>
        {
            for (int i = 0; i < batch.Count; i++) ready.Enqueue((batch[i].Window, embeddings.AsSpan(i * dim, dim).ToArray()));
        });
        foreach (Eeg.EegWindow window in windows)
        {
            batcher.Add(0, window);
            while (ready.Count > 0) yield return ready.Dequeue();
        }
        batcher.Flush();
        while (ready.Count > 0) yield return ready.Dequeue();
    }

    /// <summary>
    /// Writes the model (encoder, and head if present) as safetensors in the released key names with
    /// its configuration in the metadata, so <see cref="Load(Stream, EegDinoEncoderOptions?)"/> or
    /// <see cref="Load(string, EegDinoEncoderOptions?)"/> reads it back without other information.
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    public void SaveWeights(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        NetworkWeights.Save(_runtime, InputContract, destination);
    }

    /// <summary>Frees the native weights (idempotent).</summary>
    public void Dispose() => _lease.Dispose();

    internal static EegDinoInputContract ContractOf(EegDinoRuntime runtime)
    {
        var options = runtime.Options;
        var stored = runtime.StoredContract;
        IReadOnlyList<string>? names = options.ChannelNames ?? stored?.ChannelNames;
        int channels = names?.Count ?? stored?.NumberOfChannels ?? runtime.Config.NumberOfChannelEmbeddings;
        var named = new EegDinoModelOptions { ChannelNames = names, SamplesPerSecond = options.SamplesPerSecond, InputScale = options.InputScale };
        return EegDinoInputContract.From(named, runtime.Config, channels, samplesPerChannel: null);
    }
}

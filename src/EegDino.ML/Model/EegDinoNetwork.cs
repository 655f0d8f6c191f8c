using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors braindecode's <c>EEGDINO</c> (the released EEG-DINO encoder plus its optional fine-tuning
/// head). The forward pass, step by step:
/// <list type="number">
/// <item>input <c>[B, C, T]</c> (already scaled, e.g. microvolts / 100) is right-padded with zeros to
/// whole patches and cut into <c>[B, C, P, patch_size]</c>;</item>
/// <item><see cref="PatchEmbedding"/> gives <c>[B, C, P, D]</c>, flattened channel-major to
/// <c>[B, C*P, D]</c>;</item>
/// <item>the transformer layers run; after layer <c>global_token_layer</c> (1-based) the learnable
/// <c>global_tokens</c> <c>[1, G, D]</c> are prepended, giving <c>[B, G + C*P, D]</c>;</item>
/// <item>the optional <c>final_layer</c> (<see cref="ClassificationHead"/>) maps the patch tokens to
/// class logits.</item>
/// </list>
/// </summary>
internal sealed class EegDinoNetwork : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the PyTorch state_dict keys
    private readonly Parameter global_tokens;
    private readonly PatchEmbedding patch_embedding;
    private readonly ModuleList<TransformerEncoderLayer> encoder_layers;
    private readonly ClassificationHead? final_layer;
#pragma warning restore IDE1006

    private ComputePrecision _precision = ComputePrecision.Float32;

    /// <param name="config">The architecture.</param>
    /// <param name="numberOfClasses">Classes of the head, or null for an encoder without head.</param>
    /// <param name="dropout">Dropout and drop-path probability while training (braindecode: 0.1).</param>
    public EegDinoNetwork(EegDinoConfig config, int? numberOfClasses, double dropout = 0.1) : base(nameof(EegDinoNetwork))
    {
        Config = config;
        global_tokens = new Parameter(zeros(1, config.NumberOfGlobalTokens, config.EmbeddingDim));
        patch_embedding = new PatchEmbedding(config, dropout);
        encoder_layers = new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, config.NumberOfLayers)
            .Select(_ => new TransformerEncoderLayer(config.EmbeddingDim, config.NumberOfHeads, config.FeedForwardDim, dropout))
            .ToArray());
        final_layer = numberOfClasses is int classes ? new ClassificationHead(config.EmbeddingDim, classes) : null;
        RegisterComponents();
    }

    public EegDinoConfig Config { get; }

    /// <summary>The number type of the matrix work (float32 unless <see cref="SetPrecision(EegDinoPrecision, IEnumerable{Tensor})"/> changed it).</summary>
    public ComputePrecision Precision => _precision;

    /// <summary>
    /// Sets the number type of the matrix work (see <see cref="ComputePrecision"/>) and converts the weights
    /// that <paramref name="updatedWeights"/> does not name, once, now. Call it after loading the weights and
    /// moving the network to its device; call it again after changing frozen weights.
    /// </summary>
    /// <param name="precision">The compute type.</param>
    /// <param name="updatedWeights">Parameters that training will update (cast at each forward pass), or null for inference.</param>
    public void SetPrecision(EegDinoPrecision precision, IEnumerable<Tensor>? updatedWeights = null)
    {
        var previous = _precision;
        _precision = precision == EegDinoPrecision.Float32 ? ComputePrecision.Float32 : new ComputePrecision(precision, updatedWeights);
        foreach (var layer in encoder_layers) layer.UsePrecision(_precision);
        if (!ReferenceEquals(previous, ComputePrecision.Float32)) previous.Dispose();
    }

    /// <summary>The fine-tuning head, or null when the network was built without one.</summary>
    public ClassificationHead? Head => final_layer;

    /// <summary>The patch embedding, for callers that freeze or inspect it.</summary>
    public PatchEmbedding PatchEmbedding => patch_embedding;

    /// <summary>The transformer layers, in order.</summary>
    public IReadOnlyList<TransformerEncoderLayer> Layers => encoder_layers.ToList();

    /// <summary>The learnable global tokens <c>[1, G, D]</c>.</summary>
    public Parameter GlobalTokens => global_tokens;

    /// <summary>Number of patches for <paramref name="samples"/> samples (right-padded to whole patches).</summary>
    public long PatchCount(long samples) => (samples + Config.PatchSize - 1) / Config.PatchSize;

    public override Tensor forward(Tensor input) => Encode(input, null);

    /// <summary>
    /// The encoder: <c>[B, C, T]</c> -> <c>[B, G + C*P, D]</c>. <paramref name="taps"/>, when given,
    /// receives the intermediate outputs <c>patch_embedding</c> <c>[B, C, P, D]</c> and <c>layer0</c>
    /// <c>[B, C*P, D]</c> (kept alive in the caller's dispose scope).
    /// </summary>
    public Tensor Encode(Tensor input, IDictionary<string, Tensor>? taps)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], channels = input.shape[1], samples = input.shape[2];
        long patches = PatchCount(samples);
        long padding = patches * Config.PatchSize - samples;
        Tensor x = padding > 0 ? nn.functional.pad(input, [0, padding]) : input;
        x = x.reshape(batch, channels, patches, Config.PatchSize);

        Tensor embedded = patch_embedding.forward(x); // [B, C, P, D]
        if (taps is not null) taps["patch_embedding"] = embedded.MoveToOuterDisposeScope();
        long count = channels * patches;
        var (tokens, keyMask) = PadTokens(embedded.reshape(batch, count, Config.EmbeddingDim), count);

        for (int i = 0; i < encoder_layers.Count; i++)
        {
            tokens = encoder_layers[i].forward(tokens, keyMask);
            if (i == 0 && taps is not null) taps["layer0"] = tokens.narrow(1, 0, count).MoveToOuterDisposeScope();
            if (i + 1 == Config.GlobalTokenLayer)
            {
                Tensor withGlobal = cat([global_tokens.expand(batch, -1, -1), tokens.narrow(1, 0, count)], 1);
                count += Config.NumberOfGlobalTokens;
                (tokens, keyMask) = PadTokens(withGlobal, count);
            }
        }
        Tensor output = tokens.narrow(1, 0, count).contiguous(); // float32: the residual stream never leaves it
        EnsureFiniteInFloat16(output);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Pads the sequence <c>[B, N, D]</c> with zero tokens to a multiple of <see cref="TokenAlignment"/>
    /// and returns the key mask that hides them from attention (null when no padding is needed).
    /// Why: libtorch's CPU attention kernel is markedly faster on such lengths (Medium, batch 8: 6.75 ms
    /// per call at 191 tokens, 5.28 ms at 192 with the mask), while masked keys get exactly zero weight,
    /// so the real tokens' results are unchanged up to float rounding; padded rows are dropped after
    /// each phase. LayerNorm of a zero row is finite, so padding never produces NaN.
    /// </summary>
    private static (Tensor Tokens, Tensor? KeyMask) PadTokens(Tensor tokens, long count)
    {
        // On a GPU a key mask costs more than it saves: it keeps attention off the fused (flash)
        // kernels, which take any length. Measured on an H200: docs/gpu.md.
        if (tokens.device_type != DeviceType.CPU) return (tokens, null);
        long padded = (count + TokenAlignment - 1) / TokenAlignment * TokenAlignment;
        if (padded == count) return (tokens, null);
        Tensor mask = TorchScalars.LessThan(TorchScalars.Arange(padded, tokens.device), count).view(1, 1, 1, padded);
        return (nn.functional.pad(tokens, [0, 0, 0, padded - count]), mask);
    }

    /// <summary>Sequence lengths are padded to a multiple of this (see <see cref="PadTokens"/>).</summary>
    private const int TokenAlignment = 16;

    /// <summary>Class logits from encoder output <c>[B, G + C*P, D]</c> of <paramref name="channels"/> channels.</summary>
    public Tensor Classify(Tensor encoded, long channels)
    {
        if (final_layer is null) throw new InvalidOperationException("The network has no classification head.");
        using var scope = NewDisposeScope();
        Tensor patchTokens = encoded.narrow(1, Config.NumberOfGlobalTokens, encoded.shape[1] - Config.NumberOfGlobalTokens);
        return final_layer.forward(patchTokens, channels).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// In Float16, throws when the encoder output holds NaN or infinity, naming float16's range as the
    /// cause: the input is checked to be finite and the float32 parts of the network keep it finite, so
    /// such a value comes from a float16 matrix product above 65,504. (Every precision's output is also
    /// checked where the runtime copies it out; this check gives the float16 cause, in training too.)
    /// </summary>
    private void EnsureFiniteInFloat16(Tensor output)
    {
        if (_precision.Precision != EegDinoPrecision.Float16 || output.isfinite().all().item<bool>()) return;
        throw new EegDinoException(
            "The encoder output holds NaN or infinite values in Float16: an activation inside the network exceeded float16's range (65,504). " +
            "Use Precision = BFloat16 (float32's range) or Float32; if Float32 fails too, the input (after InputScale) or the weights are far too large.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !ReferenceEquals(_precision, ComputePrecision.Float32)) _precision.Dispose();
        base.Dispose(disposing);
    }
}

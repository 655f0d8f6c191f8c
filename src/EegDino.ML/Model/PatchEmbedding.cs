using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors braindecode's <c>_PatchEmbedding</c> (EEG-DINO's time-frequency embedding plus decoupled
/// positional embedding). Per patch of <c>patch_size</c> samples: a stack of (1, k) convolutions with
/// GroupNorm and GELU (<c>proj_in</c>, flattened channel-major to D values), plus a linear projection
/// of the rfft magnitude with forward normalisation (<c>spectral_proj</c>); then a one-hot channel
/// embedding over <c>n_channel_embeddings</c> slots (input channel i uses slot i) and a depthwise
/// (1, 5) convolution over the patch axis (<c>time_encoding</c>) whose output is added.
/// </summary>
internal sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly EegDinoConfig _config;

#pragma warning disable IDE1006 // names are the PyTorch state_dict keys, declared in call order
    private readonly Sequential proj_in;
    private readonly Sequential spectral_proj;
    private readonly Linear channel_embedding;
    private readonly Sequential time_encoding;
#pragma warning restore IDE1006

    public PatchEmbedding(EegDinoConfig config, double dropout) : base(nameof(PatchEmbedding))
    {
        _config = config;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        int inChannels = 1;
        foreach (var c in config.Convolutions)
        {
            layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                new UnfoldConv2d(inChannels, c.OutChannels, c.Kernel, c.Stride, c.Padding)));
            layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.GroupNorm(c.NormGroups, c.NormChannels, eps: 1e-5)));
            layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.GELU()));
            inChannels = c.OutChannels;
        }
        proj_in = nn.Sequential(layers);
        spectral_proj = nn.Sequential(("0", nn.Linear(config.SpectralBins, config.EmbeddingDim)), ("1", nn.Dropout(dropout)));
        channel_embedding = nn.Linear(config.NumberOfChannelEmbeddings, config.EmbeddingDim);
        time_encoding = nn.Sequential(("0", new UnfoldConv2d(config.EmbeddingDim, config.EmbeddingDim, 5, 1, 2, depthwise: true)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor patches)
    {
        // [B, C, P, patch_size] -> [B, C, P, D]
        using var scope = NewDisposeScope();
        long batch = patches.shape[0], channels = patches.shape[1], count = patches.shape[2];

        // Time branch: every patch through the convolutions as one image row.
        Tensor time = proj_in.forward(patches.reshape(batch, 1, channels * count, _config.PatchSize)); // [B, K, C*P, L]
        long convChannels = time.shape[1], convLength = time.shape[3];
        time = time.reshape(batch, convChannels, channels, count, convLength)
            .permute(0, 2, 3, 1, 4)
            .reshape(batch, channels, count, convChannels * convLength); // [B, C, P, D], d = k * L + t

        // Frequency branch: |rfft| with forward normalisation (1/n), as the released code.
        Tensor spectrum = fft.rfft(patches, dim: -1, norm: FFTNormType.Forward).abs(); // [B, C, P, bins]
        Tensor embedding = TorchScalars.Add(time, spectral_proj.forward(spectrum));

        // One-hot channel embedding: slot i for input channel i.
        Tensor oneHot = nn.functional.one_hot(TorchScalars.Arange(channels, patches.device), _config.NumberOfChannelEmbeddings)
            .to(embedding.dtype);
        embedding = TorchScalars.Add(embedding, channel_embedding.forward(oneHot).view(1, channels, 1, -1));

        // Depthwise temporal convolution over the patch axis, added.
        Tensor temporal = time_encoding.forward(embedding.permute(0, 3, 1, 2)); // [B, D, C, P]
        return TorchScalars.Add(embedding, temporal.permute(0, 2, 3, 1)).MoveToOuterDisposeScope();
    }
}

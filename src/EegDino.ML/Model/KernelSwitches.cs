namespace EegDino.ML.Model;

/// <summary>
/// The environment variables that force how a part of the network is computed, to compare the
/// paths or to check a new libtorch (docs/engineering-notes.md); each is read once, when first
/// needed, and unset or <c>auto</c> leaves the choice to the code:
/// <list type="bullet">
/// <item><c>EEGDINO_CONVOLUTION</c>: <c>unfold</c> (the default) or <c>libtorch</c> (libtorch's
/// <c>conv2d</c>: oneDNN on the CPU, cuDNN on CUDA).</item>
/// <item><c>EEGDINO_ATTENTION</c>: <c>fused</c> (libtorch's <c>scaled_dot_product_attention</c>) or
/// <c>explicit</c> (softmax(q k^T / sqrt(d)) v as three operations, as braindecode writes it).</item>
/// </list>
/// </summary>
internal static class KernelSwitches
{
    private static readonly Lazy<string?> ConvolutionFromEnvironment =
        new(() => Read("EEGDINO_CONVOLUTION", Environment.GetEnvironmentVariable("EEGDINO_CONVOLUTION"), "unfold", "libtorch"));

    private static readonly Lazy<string?> AttentionFromEnvironment =
        new(() => Read("EEGDINO_ATTENTION", Environment.GetEnvironmentVariable("EEGDINO_ATTENTION"), "fused", "explicit"));

    /// <summary>The convolution path forced in code (tests), else by <c>EEGDINO_CONVOLUTION</c>; null: the default.</summary>
    public static string? Convolution
    {
        get => _convolution ?? ConvolutionFromEnvironment.Value;
        set => _convolution = value;
    }

    /// <summary>The attention path forced in code (tests), else by <c>EEGDINO_ATTENTION</c>; null: chosen per device, type and head size.</summary>
    public static string? Attention
    {
        get => _attention ?? AttentionFromEnvironment.Value;
        set => _attention = value;
    }

    private static string? _convolution;
    private static string? _attention;

    /// <summary>The value of a switch: null for unset or auto, else one of <paramref name="choices"/>.</summary>
    /// <exception cref="EegDinoException">Any other value.</exception>
    public static string? Read(string name, string? value, params string[] choices)
    {
        string? v = value?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(v) || v == "auto") return null;
        return Array.IndexOf(choices, v) >= 0 ? v
            : throw new EegDinoException($"{name} is '{value}'; expected {string.Join(", ", choices)} or auto (unset).");
    }
}
